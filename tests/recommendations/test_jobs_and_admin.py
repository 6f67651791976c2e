"""The training job on a real worker, the make-run bootstrap, and the admin pages."""

import pytest
from django.core.management import call_command

from ml import services as ml_services
from ml.models import Job, ModelVersion
from ml.selectors import alias_get
from ml.serving import model_cache
from recommendations import services, serving
from recommendations.models import ListEvent, PersonalList
from recommendations.selectors import versions_with_lists
from tests.factories.api import StaffFactory, grant
from tests.recommendations.store import FAST_SEQUENTIAL, build_planted_store


@pytest.fixture(autouse=True)
def fresh_caches(settings):
    settings.ML_DEVICE = "cpu"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    model_cache.clear()
    serving.available_products.clear()
    yield
    model_cache.clear()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_training_job_promotes_and_precomputes_lists_on_a_worker(
    celery_worker_thread, wait_for, artifact_store
):
    store = build_planted_store(customers_per_group=6)
    job = ml_services.job_submit(
        kind="recommendations_train",
        params={"epochs": 5, "hidden": 16, "use_content": False, "max_train_minutes": 1},
    )
    done = wait_for(lambda: Job.objects.get(pk=job.pk).is_finished or None, timeout=120)
    job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.progress == 100
    assert job.result["promoted"] is True
    assert job.model_version == alias_get(task="recommendations").version
    assert "sequential_ndcg@10" in job.metrics
    assert PersonalList.objects.count() == job.result["personal_lists"] == len(store.customers) + 3
    assert done


@pytest.mark.django_db
def test_training_job_rejects_bad_parameters():
    with pytest.raises(Exception, match="hidden"):
        ml_services.job_submit(kind="recommendations_train", params={"hidden": 0})


@pytest.mark.django_db
def test_bootstrap_queues_one_training_job(capsys):
    call_command("recommendations_bootstrap")
    call_command("recommendations_bootstrap")
    assert Job.objects.filter(kind="recommendations_train").count() == 1
    assert "already queued" in capsys.readouterr().out


@pytest.fixture
def trained(db, artifact_store):
    store = build_planted_store(customers_per_group=6)
    services.recs_train(sequential=FAST_SEQUENTIAL, use_content=False)
    services.personal_lists_recompute()
    return store


INSPECTOR = "/admin/recommendations/personallist/inspector/"


def test_inspector_shows_history_lists_and_offline_metrics(client, trained):
    staff = grant(StaffFactory(), "recommendations.view_personallist")
    client.force_login(staff)
    customer = trained.customers[0]
    page = client.get(INSPECTOR, {"customer": customer.pk}).content.decode()
    assert "Recent history" in page
    for heading in ("for_you", "similar", "bought_together", "trending"):
        assert f"<h2>{heading}" in page
    assert "popularity (baseline)" in page and "sequential" in page
    assert trained.products["A"].title in page
    assert "Exposure by category" in page and "Exposure by price tier" in page


def test_inspector_reports_an_unknown_customer_and_needs_permission(client, trained):
    client.force_login(grant(StaffFactory(), "recommendations.view_personallist"))
    page = client.get(INSPECTOR, {"customer": "abc"}).content.decode()
    assert "No customer with id" in page
    client.force_login(StaffFactory())
    assert client.get(INSPECTOR).status_code == 403


def test_feedback_changelist_shows_the_online_report(
    client, trained, django_assert_max_num_queries
):
    from django.utils import timezone

    staff = grant(StaffFactory(), "recommendations.view_listevent")
    client.force_login(staff)
    ListEvent.objects.bulk_create(
        ListEvent(
            kind="impression",
            list_type="trending",
            position=i,
            product=trained.products["A"],
            session_id="s",
            occurred_at=timezone.now(),
        )  # fmt: skip
        for i in range(1, 30)
    )
    with django_assert_max_num_queries(15):
        page = client.get("/admin/recommendations/listevent/").content.decode()
    assert "Online metrics per list and model version" in page
    assert "<td>29</td>" in page


def test_personal_lists_changelist_is_paginated_with_bounded_queries(
    client, trained, django_assert_max_num_queries
):
    client.force_login(grant(StaffFactory(), "recommendations.view_personallist"))
    with django_assert_max_num_queries(12):
        response = client.get("/admin/recommendations/personallist/")
    assert response.status_code == 200
    assert "Recommendation inspector" in response.content.decode()
    # The version filter offers the versions that made lists, and filters by them.
    version = PersonalList.objects.values_list("model_version", flat=True).first()
    assert version is not None
    assert list(versions_with_lists()) == [ModelVersion.objects.get(pk=version)]
    PersonalList.objects.all().delete()
    assert list(versions_with_lists()) == []


@pytest.mark.django_db
def test_the_hourly_refresh_is_not_doubled_while_one_is_pending(monkeypatch):
    from recommendations.tasks import recommendations_lists_hourly

    assert recommendations_lists_hourly() is None  # no champion: nothing to refresh with
    monkeypatch.setattr("ml.selectors.alias_get", lambda task: object())
    first = recommendations_lists_hourly()
    assert Job.objects.get(pk=first).kind == "recommendations_lists"
    assert Job.objects.get(pk=first).params == {"only_changed": True}
    assert recommendations_lists_hourly() == first  # still queued
    Job.objects.filter(pk=first).update(status=Job.Status.RUNNING)
    assert recommendations_lists_hourly() == first
    Job.objects.filter(pk=first).update(status=Job.Status.SUCCEEDED)
    second = recommendations_lists_hourly()
    assert second != first
    # A training ends by refreshing the lists, so it counts as a pending refresh.
    Job.objects.filter(pk=second).update(status=Job.Status.FAILED)
    training = ml_services.job_submit(kind="recommendations_train")
    assert recommendations_lists_hourly() == training.pk
    assert Job.objects.filter(kind="recommendations_lists").count() == 2
