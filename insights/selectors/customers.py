"""Reads of customer segments and value: the order rows the engine starts from, the scores,
segment sizes and their history, and the latest run.

Scores (CustomerScore) are written only by `insights.services.customers`; the segment rules
are data in `insights.customer_engine.rfm.SEGMENT_RULES`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, QuerySet
from django.utils import timezone

from insights.customer_engine.rfm import SEGMENT_RULES
from insights.models import CustomerScore, CustomerSegmentSnapshot, CustomerValueRun
from ml import selectors as ml_selectors
from ml.models import Job
from shop import selectors as shop_selectors

SCORE_JOB_KIND = "customer_scores"
CENT = Decimal("0.01")


def customer_transactions(*, as_of: date) -> list[tuple[int, date, Decimal]]:
    """(customer id, local date, total) of every order the customer models count (one query).

    Orders placed up to the end of `as_of` in the current time zone that turned into revenue
    (not cancelled or returned), of customers who allow profiling; guest orders are left
    out. Dates are the local calendar day of `placed_at`, oldest first.
    """
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    rows = shop_selectors.order_values_for_customers(placed_before=end)
    return [
        (customer_id, timezone.localdate(placed_at), total)
        for customer_id, placed_at, total in rows.iterator(chunk_size=5000)
    ]


def customer_score_list() -> QuerySet[CustomerScore]:
    return CustomerScore.objects.select_related("customer", "run")


def customer_score_get(*, customer_id: int) -> CustomerScore:
    """The customer's score with its run (one query); raises CustomerScore.DoesNotExist."""
    return CustomerScore.objects.select_related("run").get(customer_id=customer_id)


def customer_value_run_latest() -> CustomerValueRun | None:
    return CustomerValueRun.objects.select_related("job").order_by("-created_at", "-pk").first()


def segment_rule_of(*, key: str) -> dict[str, str] | None:
    """{"key", "name", "rule", "description"} of the segment `key`, or None (no segment)."""
    for rule in SEGMENT_RULES:
        if rule.key == key:
            return {
                "key": rule.key,
                "name": rule.name,
                "rule": rule.rule,
                "description": rule.description,
            }
    return None


def segment_summary() -> dict[str, Any]:
    """Size, share, mean lifetime value and mean churn risk of every segment (one query).

    {"total": customers scored, "segments": [{"key", "name", "rule", "description", "count",
    "share" (count / total, 0 when nothing is scored), "mean_clv" (Decimal or None),
    "mean_churn_risk" (float or None)}]} with the segments in rule order, empty ones included.
    """
    rows = {
        row["segment"]: row
        for row in CustomerScore.objects.order_by()
        .values("segment")
        .annotate(count=Count("pk"), mean_clv=Avg("clv"), mean_churn_risk=Avg("churn_risk"))
    }
    total = sum(row["count"] for row in rows.values())
    segments = []
    for rule in SEGMENT_RULES:
        row = rows.get(rule.key, {})
        count = row.get("count", 0)
        mean_clv = row.get("mean_clv")
        segments.append(
            {
                "key": rule.key,
                "name": rule.name,
                "rule": rule.rule,
                "description": rule.description,
                "count": count,
                "share": round(count / total, 4) if total else 0.0,
                "mean_clv": None if mean_clv is None else Decimal(mean_clv).quantize(CENT),
                "mean_churn_risk": row.get("mean_churn_risk"),
            }
        )
    return {"total": total, "segments": segments}


def segment_snapshot_days(*, days: list[date]) -> set[date]:
    """Which of `days` already have a segment snapshot (one query)."""
    return set(
        CustomerSegmentSnapshot.objects.filter(date__in=days)
        .order_by()
        .values_list("date", flat=True)
        .distinct()
    )


def segment_history(*, since: date) -> list[dict[str, Any]]:
    """Segment sizes per snapshot day from `since` on, oldest first (one query).

    Each row: {"date", "total", "segments": [{"key", "name", "count", "share"}] in rule order}.
    """
    by_date: dict[date, dict[str, int]] = defaultdict(dict)
    for day, segment, customers in (
        CustomerSegmentSnapshot.objects.filter(date__gte=since)
        .order_by("date")
        .values_list("date", "segment", "customers")
    ):
        by_date[day][segment] = customers
    history = []
    for day in sorted(by_date):
        counts = by_date[day]
        total = sum(counts.values())
        history.append(
            {
                "date": day,
                "total": total,
                "segments": [
                    {
                        "key": rule.key,
                        "name": rule.name,
                        "count": counts.get(rule.key, 0),
                        "share": counts.get(rule.key, 0) / total if total else 0.0,
                    }
                    for rule in SEGMENT_RULES
                ],
            }
        )
    return history


def customer_scores_job_queued() -> Job | None:
    """The oldest queued `customer_scores` job, if any (it will see every order when it runs)."""
    return (
        ml_selectors.job_list(status=Job.Status.QUEUED, kind=SCORE_JOB_KIND).order_by("pk").first()
    )
