"""On a real worker: a job past its time limit fails with a clear reason; a silent job keeps
its heartbeat."""

import pytest

from ml import services
from ml.models import Job
from tests.ml import job_kinds_for_tests  # noqa: F401 - registers the test job kinds

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_job_past_its_time_limit_fails_and_says_why(celery_worker_thread, wait_for):
    job = services.job_submit(kind="test_time_limit")
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=30)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == (
        "JobTimeLimitExceeded: Stopped after running past the time limit of 7 seconds."
    )


def test_a_silent_job_keeps_beating_and_finishes(celery_worker_thread, wait_for, settings):
    from datetime import timedelta

    settings.ML_JOB_HEARTBEAT_S = 0.1
    job = services.job_submit(kind="test_quiet", params={"seconds": 0.8})
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=30)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    # The body reports nothing for 0.8 s; only the heartbeat thread can have written this
    # (job_start writes started_at and the first heartbeat at the same instant).
    assert job.heartbeat_at - job.started_at >= timedelta(seconds=0.4)
