"""Writes of the job lifecycle."""

import logging
import traceback as traceback_module
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from ml.exceptions import JobCancelled, JobNotCancellable, JobNotFound, UnknownJobKind
from ml.job_kinds import job_kind_get
from ml.models import Job

logger = logging.getLogger(__name__)

MAX_LOG_CHARS = 200_000


@transaction.atomic
def job_submit(*, kind: str, params: dict[str, Any] | None = None, created_by=None) -> Job:
    """Create a queued job and enqueue its task once the transaction commits.

    Side effects: inserts a Job row; after commit, sends one Celery message to the
    kind's queue and stores the message id on the row.
    """
    try:
        spec = job_kind_get(kind)
    except KeyError as exc:
        raise UnknownJobKind(f"Unknown job kind {kind!r}.", field="kind") from exc
    clean_params = spec.validate_params(params or {})
    job = Job.objects.create(
        kind=kind,
        queue=spec.queue,
        params=clean_params,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        progress_message="Waiting for a worker",
    )

    def enqueue() -> None:
        result = spec.task().apply_async(args=[job.pk], queue=spec.queue)
        Job.objects.filter(pk=job.pk, celery_task_id="").update(celery_task_id=result.id)

    transaction.on_commit(enqueue)
    return job


@transaction.atomic
def job_cancel(*, job_id: int) -> Job:
    """Ask a job to stop.

    A queued job is cancelled at once. A running job gets `cancel_requested`; its task
    sees that at its next progress report and stops cleanly. A revoke is sent too, which
    reaches workers on brokers with broadcast (Redis, RabbitMQ; not the filesystem one).
    """
    try:
        job = Job.objects.select_for_update().get(pk=job_id)
    except Job.DoesNotExist as exc:
        raise JobNotFound(f"Job {job_id} does not exist.") from exc
    if job.is_finished:
        raise JobNotCancellable(f"Job {job_id} has already {job.status}.")
    if job.status == Job.Status.QUEUED:
        job.status = Job.Status.CANCELLED
        job.finished_at = timezone.now()
        job.progress_message = "Cancelled before it started"
    job.cancel_requested = True
    job.save(update_fields=["status", "finished_at", "progress_message", "cancel_requested"])
    if job.celery_task_id:
        task_id = job.celery_task_id
        transaction.on_commit(lambda: _revoke_quietly(task_id))
    return job


def _revoke_quietly(task_id: str) -> None:
    from config.celery import app

    try:
        app.control.revoke(task_id)
    except NotImplementedError:
        # The filesystem transport has no broadcast; cooperative cancel does the work.
        logger.info("revoke not supported by this broker; relying on cooperative cancel")
    except Exception:  # noqa: BLE001 - revoke is best effort, the job state already says cancel
        logger.warning("revoke of %s failed", task_id, exc_info=True)


@transaction.atomic
def job_start(*, job_id: int, task_id: str) -> Job | None:
    """Move a job to running for this delivery, or return None if there is nothing to do.

    Guard against re-delivery: a job already finished (or cancelled while queued) is
    left alone, so a message delivered twice never runs the work twice.
    """
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        logger.warning("job %s vanished before it ran", job_id)
        return None
    if job.is_finished:
        logger.info("job %s already %s; ignoring re-delivered message", job_id, job.status)
        return None
    if job.cancel_requested:
        _finish(job, Job.Status.CANCELLED, message="Cancelled before it started")
        return None
    job.status = Job.Status.RUNNING
    job.attempts = F("attempts") + 1
    job.celery_task_id = task_id
    job.started_at = job.started_at or timezone.now()
    job.progress_message = "Started"
    job.save(
        update_fields=["status", "attempts", "celery_task_id", "started_at", "progress_message"]
    )
    job.refresh_from_db()
    return job


def job_report_progress(*, job_id: int, percent: float, message: str = "") -> None:
    """Record progress (0-100) and append the message to the log.

    Raises JobCancelled when staff asked to cancel, so the running task stops here.
    """
    percent_int = max(0, min(100, int(percent)))
    updates: dict[str, Any] = {"progress": percent_int}
    if message:
        stamp = timezone.now().strftime("%H:%M:%S")
        updates["progress_message"] = message[:255]
        updates["log"] = Concat(F("log"), Value(f"[{stamp}] {message}\n"))
    # One query on the usual path: the update matches nothing once a cancel was requested.
    updated = Job.objects.filter(
        pk=job_id, status=Job.Status.RUNNING, cancel_requested=False
    ).update(**updates)
    if not updated and Job.objects.filter(pk=job_id, cancel_requested=True).exists():
        raise JobCancelled(f"Job {job_id} was cancelled")


@transaction.atomic
def job_succeed(
    *, job_id: int, metrics: dict | None = None, result: dict | None = None, model_version=None
) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    job.metrics = metrics or {}
    job.result = result or {}
    job.model_version = model_version
    job.progress = 100
    _finish(job, Job.Status.SUCCEEDED, message="Finished")
    return job


@transaction.atomic
def job_fail(*, job_id: int, error: BaseException) -> Job:
    """Mark the job failed, keeping a one-line error and the full traceback."""
    job = Job.objects.select_for_update().get(pk=job_id)
    job.error = f"{type(error).__name__}: {error}"[:2000]
    job.traceback = "".join(
        traceback_module.format_exception(type(error), error, error.__traceback__)
    )
    _finish(job, Job.Status.FAILED, message=job.error[:255])
    return job


@transaction.atomic
def job_mark_cancelled(*, job_id: int) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    _finish(job, Job.Status.CANCELLED, message="Cancelled")
    return job


@transaction.atomic
def job_mark_retrying(*, job_id: int, error: BaseException, countdown: float) -> None:
    job = Job.objects.select_for_update().get(pk=job_id)
    job.status = Job.Status.QUEUED
    job.progress_message = f"Retrying in {countdown:.0f}s after {type(error).__name__}"
    job.log = (job.log + f"{job.progress_message}: {error}\n")[-MAX_LOG_CHARS:]
    job.save(update_fields=["status", "progress_message", "log"])


def _finish(job: Job, status: str, *, message: str) -> None:
    job.status = status
    job.finished_at = timezone.now()
    job.progress_message = message[:255]
    stamp = job.finished_at.strftime("%H:%M:%S")
    job.log = (job.log + f"[{stamp}] {message}\n")[-MAX_LOG_CHARS:]
    job.save()
