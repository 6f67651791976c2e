"""The purchase propensity jobs on a real worker: training registers, promotes and scores,
with progress and metrics on the Job; bad parameters are refused before anything is queued;
the beat entries submit them."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from rest_framework.exceptions import ValidationError

from insights.models import PurchasePropensity
from insights.tasks.propensity import (
    purchase_propensity_score_nightly,
    purchase_propensity_train_weekly,
)
from ml import services as ml_services
from ml.models import Job
from shop.demo import demo_store_build

TODAY = date(2024, 12, 31)


def finished(job_id: int) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_training_job_registers_promotes_and_scores(celery_worker_thread, wait_for, tmp_path):
    demo_store_build(seed=5, customers=250, days=200, products=30, data_dir=tmp_path, today=TODAY)
    as_of = (TODAY - timedelta(days=1)).isoformat()
    params = {"as_of": as_of, "windows": 3, "epochs": 6, "hidden": 16, "use_text": False}

    job = ml_services.job_submit(kind="purchase_propensity_train", params=params)
    done = wait_for(lambda: finished(job.pk), timeout=180)

    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.progress == 100 and "Training the neural model" in done.log
    assert done.model_version.task == "purchase_propensity"
    assert done.result["promoted"] is True
    assert done.result["customers_scored"] == PurchasePropensity.objects.count() > 0
    assert 0.5 < done.metrics["auc"] <= 1 and "baseline_auc" in done.metrics

    rescore = ml_services.job_submit(kind="purchase_propensity_score", params={"as_of": as_of})
    assert wait_for(lambda: finished(rescore.pk), timeout=120).status == Job.Status.SUCCEEDED


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_too_little_history_fails_without_retrying(celery_worker_thread, wait_for, tmp_path):
    demo_store_build(seed=2, customers=30, days=20, products=10, data_dir=tmp_path, today=TODAY)

    params = {"as_of": (TODAY - timedelta(days=1)).isoformat(), "use_text": False}
    job = ml_services.job_submit(kind="purchase_propensity_train", params=params)
    done = wait_for(lambda: finished(job.pk), timeout=60)

    assert done.status == Job.Status.FAILED
    assert "Too little history" in done.error and done.attempts == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{"horizon_days": 1}, {"windows": 2}, {"epochs": 0}, {"use_text": "maybe"}, {"as_of": "now"}],
)
def test_bad_parameters_are_refused_before_anything_is_queued(params):
    with pytest.raises(ValidationError):
        ml_services.job_submit(kind="purchase_propensity_train", params=params)
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_beat_entries_submit_training_weekly_and_scoring_once_a_champion_exists():
    assert purchase_propensity_score_nightly() is None  # nothing to score with yet
    first = purchase_propensity_train_weekly()
    assert purchase_propensity_train_weekly() == first
    assert Job.objects.get().kind == "purchase_propensity_train"
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "insights.purchase_propensity_score_nightly",
        "insights.purchase_propensity_train_weekly",
    } <= tasks
