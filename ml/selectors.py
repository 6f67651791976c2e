"""Reads of the ML platform."""

from django.db.models import QuerySet

from ml.models import Job


def job_list(*, status: str | None = None, kind: str | None = None) -> QuerySet[Job]:
    jobs = Job.objects.select_related("created_by", "model_version")
    if status:
        jobs = jobs.filter(status=status)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs.order_by("-created_at")


def job_get(*, job_id: int) -> Job:
    return Job.objects.select_related("created_by", "model_version").get(pk=job_id)
