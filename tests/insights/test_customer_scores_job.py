"""The `customer_scores` job on a real worker: it recomputes the scores, records its run and
result, and fails readably on bad input."""

import pytest

from insights.models import CustomerScore, CustomerValueRun
from ml import services as ml_services
from ml.models import Job
from tests.insights.customer_scores_fixtures import EXPECTED_SEGMENTS, build_store

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def finished(job_id: int) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


def test_the_job_recomputes_every_score_and_records_its_run(celery_worker_thread, wait_for):
    build_store()

    job = ml_services.job_submit(kind="customer_scores")
    done = wait_for(lambda: finished(job.pk), timeout=60)

    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.progress == 100
    assert "Saving the scores of 10 customers" in done.log
    run = CustomerValueRun.objects.get()
    assert run.job_id == job.pk
    assert done.result["run_id"] == run.pk
    assert done.metrics["customers"] == 10
    assert done.result["segments"]["champions"] == 2
    assert CustomerScore.objects.filter(run=run).count() == len(EXPECTED_SEGMENTS)


def test_a_job_as_of_an_earlier_day_scores_as_of_that_day(celery_worker_thread, wait_for):
    build_store()

    job = ml_services.job_submit(kind="customer_scores", params={"as_of": "2020-01-01"})
    done = wait_for(lambda: finished(job.pk), timeout=60)

    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.result["as_of"] == "2020-01-01"
    assert done.metrics["customers"] == 0
    assert not CustomerScore.objects.exists()
