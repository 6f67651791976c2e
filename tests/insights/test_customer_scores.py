"""Recomputing customer segments and value: segments of constructed customers, sane churn
risk and lifetime value, which orders count, idempotent re-runs, all-or-nothing writes, the
nightly entry point and the `customer_scores` command. (No worker here; see
test_customer_scores_job.py.)"""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from insights.models import CustomerScore, CustomerSegmentSnapshot, CustomerValueRun
from insights.services import customers as services
from insights.services.customers import (
    customer_scores_recompute,
    customer_scores_submit,
    customer_segment_history_backfill,
)
from insights.tasks.customers import customer_scores_nightly
from ml.models import Job
from ml.services import job_submit
from shop.models import Order
from tests.factories.shop import CustomerFactory
from tests.insights.customer_scores_fixtures import EXPECTED_SEGMENTS, build_store, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return build_store()


def scores_by_name() -> dict[str, CustomerScore]:
    scores = CustomerScore.objects.select_related("customer")
    return {score.customer.name: score for score in scores}


def test_each_constructed_customer_lands_in_its_rfm_segment(store):
    result = customer_scores_recompute()

    assert result.scored == 10
    assert {name: score.segment for name, score in scores_by_name().items()} == EXPECTED_SEGMENTS


def test_rfm_measures_and_scores_are_stored(store):
    customer_scores_recompute()

    champion = scores_by_name()["champion_a"]
    assert (champion.frequency, champion.monetary) == (10, Decimal("500.00"))
    assert champion.recency_days in (1, 2)  # the order was placed 25 hours ago
    assert (champion.r_score, champion.f_score, champion.m_score) == (5, 5, 5)
    lost = scores_by_name()["lost"]
    assert (lost.r_score, lost.f_score, lost.m_score) == (1, 1, 1)


def test_a_frequent_recent_buyer_is_more_alive_and_worth_more_than_a_lapsed_one(store):
    customer_scores_recompute()

    scores = scores_by_name()
    recent, lapsed = scores["champion_a"], scores["at_risk_i"]
    assert recent.probability_alive > 0.8
    assert lapsed.probability_alive < 0.5
    assert recent.clv > lapsed.clv > 0
    assert recent.expected_purchases > lapsed.expected_purchases
    for score in scores.values():
        assert 0 <= score.churn_risk <= 1
        assert score.churn_risk == pytest.approx(1 - score.probability_alive)
        assert score.expected_spend > 0


def test_the_run_keeps_the_fitted_models_and_the_days_segment_sizes(store):
    result = customer_scores_recompute()

    run = CustomerValueRun.objects.get()
    assert result.run == run
    assert (run.as_of, run.customers, run.orders) == (timezone.localdate(), 10, 44)
    assert set(run.bg_nbd_params) == {"r", "alpha", "a", "b"}
    assert set(run.gamma_gamma_params) == {"p", "q", "gamma"}
    assert run.bg_nbd_customers == 10
    assert run.gamma_gamma_customers == 7  # the customers with a repeat purchase
    assert run.bg_nbd_log_likelihood < 0
    assert run.bg_nbd_converged is not None
    snapshot = dict(
        CustomerSegmentSnapshot.objects.filter(date=run.as_of).values_list("segment", "customers")
    )
    assert snapshot == {
        "champions": 2,
        "loyal": 0,
        "potential_loyalists": 1,
        "new": 1,
        "at_risk": 2,
        "hibernating": 3,
        "lost": 1,
    }
    assert result.segments == snapshot


def test_cancelled_returned_and_guest_orders_and_customers_refusing_profiling_are_left_out(
    store,
):
    only_cancelled = CustomerFactory()
    place_order(only_cancelled, days_ago=2, status=Order.Status.CANCELLED)
    place_order(only_cancelled, days_ago=3, status=Order.Status.RETURNED)
    place_order(None, days_ago=1)  # a guest
    no_profiling = CustomerFactory(profiling_consent=False)
    place_order(no_profiling, days_ago=1)
    place_order(store["lost"], days_ago=1, status=Order.Status.CANCELLED)

    result = customer_scores_recompute()

    assert result.scored == 10
    assert not CustomerScore.objects.filter(customer__in=[only_cancelled, no_profiling]).exists()
    assert scores_by_name()["lost"].frequency == 1


def test_orders_after_the_as_of_day_are_ignored(store):
    as_of = timezone.localdate() - timedelta(days=100)

    customer_scores_recompute(as_of=as_of)

    scores = scores_by_name()
    assert "newcomer" not in scores  # first order 5 days ago
    assert scores["at_risk_i"].frequency == 7
    assert scores["at_risk_h"].frequency == 8
    assert CustomerValueRun.objects.get().as_of == as_of


def test_a_rerun_replaces_every_score_without_duplicates(store):
    customer_scores_recompute()
    first = {score.customer_id: score for score in CustomerScore.objects.all()}
    place_order(store["lost"], days_ago=0)

    second = customer_scores_recompute()

    scores = {score.customer_id: score for score in CustomerScore.objects.all()}
    assert scores.keys() == first.keys()
    assert {score.run_id for score in scores.values()} == {second.run.pk}
    assert {score.pk for score in scores.values()} == {score.pk for score in first.values()}
    assert scores[store["lost"].pk].frequency == 2
    assert CustomerSegmentSnapshot.objects.filter(date=second.run.as_of).count() == 7
    assert set(CustomerSegmentSnapshot.objects.values_list("run_id", flat=True)) == {second.run.pk}


def test_a_rerun_removes_the_scores_of_customers_no_longer_scored(store):
    customer_scores_recompute()
    store["lost"].profiling_consent = False
    store["lost"].save()
    Order.objects.filter(customer=store["newcomer"]).update(status=Order.Status.RETURNED)

    result = customer_scores_recompute()

    assert result.removed == 2
    assert set(scores_by_name()) == set(EXPECTED_SEGMENTS) - {"lost", "newcomer"}


def test_a_failure_while_writing_leaves_every_stored_row_as_it_was(store, monkeypatch):
    customer_scores_recompute()
    before = list(CustomerScore.objects.order_by("pk").values())
    snapshots_before = list(CustomerSegmentSnapshot.objects.order_by("pk").values())
    place_order(store["lost"], days_ago=0)
    place_order(CustomerFactory(), days_ago=0)

    def explode(**kwargs):
        raise RuntimeError("disk full")

    # Scores are already upserted and stale ones deleted when the snapshot write fails.
    monkeypatch.setattr(services, "_snapshot_save", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        customer_scores_recompute()

    assert list(CustomerScore.objects.order_by("pk").values()) == before
    assert list(CustomerSegmentSnapshot.objects.order_by("pk").values()) == snapshots_before
    assert CustomerValueRun.objects.count() == 1


def test_without_repeat_purchases_rfm_is_stored_and_value_fields_stay_empty():
    for days in (1, 30, 60, 90, 120):
        place_order(CustomerFactory(), days_ago=days)

    result = customer_scores_recompute()

    assert result.scored == 5
    assert "Value models not fitted" in result.run.notes
    assert result.run.bg_nbd_params is None
    assert not CustomerScore.objects.filter(clv__isnull=False).exists()
    assert not CustomerScore.objects.filter(churn_risk__isnull=False).exists()
    assert CustomerScore.objects.filter(segment="new").count() == 2


def test_an_empty_store_records_a_run_with_nobody_scored():
    result = customer_scores_recompute()

    assert (result.scored, result.run.customers) == (0, 0)
    assert set(CustomerSegmentSnapshot.objects.values_list("customers", flat=True)) == {0}


def test_progress_is_reported_up_to_100(store):
    reports = []

    customer_scores_recompute(progress=lambda percent, message="": reports.append(percent))

    assert reports[0] == 1
    assert reports[-1] == 100
    assert reports == sorted(reports)


def test_backfill_fills_in_weekly_segment_sizes_only_where_none_were_kept(store):
    today = timezone.localdate()
    kept = CustomerSegmentSnapshot.objects.create(
        date=today - timedelta(weeks=1), segment="champions", customers=99
    )

    written = customer_segment_history_backfill(weeks=3, as_of=today)

    assert sorted({row.date for row in written}) == [
        today - timedelta(weeks=3),
        today - timedelta(weeks=2),
    ]
    assert len(written) == 14  # seven segments a day, zeros included
    kept.refresh_from_db()
    assert kept.customers == 99
    two_weeks_ago = dict(
        CustomerSegmentSnapshot.objects.filter(date=today - timedelta(weeks=2)).values_list(
            "segment", "customers"
        )
    )
    assert sum(two_weeks_ago.values()) == 9  # the newcomer's first order is 5 days old
    assert customer_segment_history_backfill(weeks=3, as_of=today) == []


def test_the_command_can_backfill_the_segment_history(store):
    out = StringIO()

    call_command("customer_scores", "--backfill-weeks", "4", stdout=out)

    assert "Segment sizes filled in for 4 earlier week(s)." in out.getvalue()
    assert CustomerSegmentSnapshot.objects.values("date").distinct().count() == 5


def test_a_job_with_a_bad_as_of_day_is_refused_at_submission():
    with pytest.raises(ValidationError):
        job_submit(kind="customer_scores", params={"as_of": "yesterday"})

    assert not Job.objects.exists()


def test_the_nightly_entry_point_queues_one_job_and_reuses_a_queued_one():
    first = customer_scores_nightly()
    second = customer_scores_nightly()

    job = Job.objects.get()
    assert first == second == job.pk
    assert (job.kind, job.queue, job.status) == ("customer_scores", "default", Job.Status.QUEUED)
    assert customer_scores_submit().pk == job.pk


def test_beat_runs_the_recompute_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-customer-scores"]

    assert entry["task"] == "insights.customer_scores_nightly"
    assert entry["schedule"].hour == {3}


def test_the_command_recomputes_synchronously(store):
    out = StringIO()

    call_command("customer_scores", stdout=out)

    assert "Customer scores: 10 customers" in out.getvalue()
    assert CustomerScore.objects.count() == 10
    assert CustomerValueRun.objects.get().job is None
