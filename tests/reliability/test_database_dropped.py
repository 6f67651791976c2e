"""The database connection dropped in the middle of a job's batch write: the batch rolls back,
the job is retried on a fresh connection and finishes with the whole batch, once. PostgreSQL
terminates the worker's connection (pg_terminate_backend); a real worker process."""

import pytest
from django.db import connection

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


def test_a_batch_write_cut_off_by_the_database_rolls_back_and_the_job_retries(worker_env, wait_for):
    if connection.vendor != "postgresql":
        pytest.skip("a dropped connection needs a database server; .ci/run uses PostgreSQL")
    worker = start_worker(worker_env)
    try:
        job = services.job_submit(
            kind="test_batch_write", params={"rows": 40, "drop_connection": True}
        )
        wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=90)
    finally:
        stop(worker)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 2  # the first attempt lost its connection, the second finished
    assert "Retrying in" in job.log and "OperationalError" in job.log
    written = Category.objects.filter(name__startswith=f"batch-{job.pk}-")
    assert written.count() == 40  # the cut-off half batch left nothing behind
