"""A worker killed with SIGKILL in the middle of a job: the job's heartbeat stops, the stale-job
check sends it to a worker again, and the work completes exactly once, with the retry visible
on the job. Real worker processes, against the configured database and broker."""

import signal

import pytest

from ml import services
from ml.models import Job
from shop.models import Category
from tests.ml import job_kinds_for_tests  # noqa: F401 - registers the test job kinds
from tests.reliability.conftest import start_worker, stop

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_job_survives_its_worker_being_killed(worker_env, wait_for):
    first = start_worker(worker_env)
    second = None
    try:
        job = services.job_submit(kind="test_killable", params={"steps": 25})
        wait_for(lambda: Job.objects.get(pk=job.pk).progress >= 20, timeout=60)
        stop(first, signal.SIGKILL)
        assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING  # nobody told the DB

        # The beat task's check, once the heartbeat is stale (5 x 0.3 s).
        requeued = wait_for(lambda: services.job_requeue_stale()["requeued"], timeout=20)
        assert requeued == [job.pk]

        second = start_worker(worker_env)
        wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=90)
        job.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.attempts == 2
        assert "Worker lost; sent to a worker again (attempt 2)" in job.log
        # The work completed once: one marker, the one the job reports.
        markers = list(Category.objects.filter(name__startswith=f"job-{job.pk}-"))
        assert [m.name for m in markers] == [job.result["marker"]]
    finally:
        stop(first, signal.SIGKILL)
        if second is not None:
            stop(second)
