"""The `behaviour_clusters` and `search_insights` jobs on a real worker with the packaged
encoder: they record their run and result, and refuse bad parameters before queueing."""

import pytest
from rest_framework.exceptions import ValidationError

from insights.models import BehaviourClusterAssignment, BehaviourClusterRun, SearchInsightRun
from ml import services as ml_services
from ml.models import Job
from tests.insights.cluster_fixtures import build_cluster_store
from tests.insights.test_search_insights import search

pytestmark = [
    pytest.mark.slow,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def finished(job_id: int) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


def test_the_cluster_job_clusters_customers_and_records_its_run(celery_worker_thread, wait_for):
    build_cluster_store()

    job = ml_services.job_submit(kind="behaviour_clusters", params={"k": 2})
    done = wait_for(lambda: finished(job.pk), timeout=120)

    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.progress == 100
    run = BehaviourClusterRun.objects.get()
    assert (run.job_id, done.result["run_id"]) == (job.pk, run.pk)
    assert done.metrics["customers"] == 12 and done.metrics["k"] == 2
    assert sorted(c["name"] for c in done.result["clusters"]) == [
        "Lapsed bargain socks browsers",
        "Premium dresses regulars who review",
    ]
    assert BehaviourClusterAssignment.objects.count() == 12


def test_the_cluster_job_fails_readably_without_customers(celery_worker_thread, wait_for):
    job = ml_services.job_submit(kind="behaviour_clusters")
    done = wait_for(lambda: finished(job.pk), timeout=60)

    assert done.status == Job.Status.FAILED
    assert "0 customers can be clustered" in done.error
    assert not BehaviourClusterRun.objects.exists()


def test_the_search_job_records_topics(celery_worker_thread, wait_for):
    for day in (1, 2, 3):
        search("lawn mower", days_ago=day)

    job = ml_services.job_submit(kind="search_insights", params={"weeks": 3})
    done = wait_for(lambda: finished(job.pk), timeout=120)

    assert done.status == Job.Status.SUCCEEDED, done.error
    run = SearchInsightRun.objects.get()
    assert done.result["run_id"] == run.pk and run.weeks == 3
    assert done.metrics["searches"] == 3 and done.metrics["unmet_groups"] == 1


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("behaviour_clusters", {"k": 1}),
        ("behaviour_clusters", {"lookback_days": 2}),
        ("search_insights", {"weeks": 1}),
        ("search_insights", {"unmet_threshold": 2}),
    ],
)
def test_bad_parameters_are_refused_before_queueing(kind, params):
    with pytest.raises(ValidationError) as error:
        ml_services.job_submit(kind=kind, params=params)

    assert set(params) <= set(error.value.detail)
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_nightly_entries_submit_one_job_each():
    from django.conf import settings

    from insights.tasks.clusters import behaviour_clusters_nightly
    from insights.tasks.search_insights import search_insights_nightly

    assert behaviour_clusters_nightly() == behaviour_clusters_nightly()
    assert search_insights_nightly() == search_insights_nightly()
    assert sorted(Job.objects.values_list("kind", flat=True)) == [
        "behaviour_clusters",
        "search_insights",
    ]
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"insights.behaviour_clusters_nightly", "insights.search_insights_nightly"} <= tasks
