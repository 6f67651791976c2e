"""Reads of the staff home, each through the selectors of the app that owns the data.

Every function runs a fixed number of queries, whatever the size of the store (stated in
its docstring), so that the page's query count is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from insights.aspect_engine.charts import weeks_fill
from insights.home.charts import chart_payload, chart_series
from insights.models import CampaignEffect, SentimentAlert
from insights.selectors import aspects as aspect_selectors
from marketing import selectors as marketing_selectors
from ml import selectors as ml_selectors
from ml.models import Job, ModelAlias, ModelVersion
from ml.registry_display import metric_format, metric_higher_is_better, metric_main, metrics_flatten
from shop import selectors as shop_selectors

# Stock at risk: a product whose stock lasts fewer than STOCK_MAX_DAYS_OF_COVER days at the
# rate it sold over the last STOCK_WINDOW_DAYS days (see
# shop.selectors.product_list_stock_at_risk for the formula).
STOCK_WINDOW_DAYS = 28
STOCK_MAX_DAYS_OF_COVER = 14


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _change(now: Decimal | int, before: Decimal | int) -> dict[str, Any] | None:
    """`{"direction": "up" | "down" | "level", "percent": rounded size of the change}` from
    `before` to `now`; None when `before` is zero (no base to compare with)."""
    if not before:
        return None
    change = 100 * (Decimal(now) - Decimal(before)) / Decimal(before)
    percent = int(change.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    direction = "up" if percent > 0 else "down" if percent < 0 else "level"
    return {"direction": direction, "percent": abs(percent)}


def home_sales_today(*, now: datetime) -> dict[str, Any]:
    """Orders and revenue of today so far against the same weekday last week, both up to the
    same time of day (a fair race at any hour) and over that whole day. One query.

    Revenue counts the orders that were not cancelled or returned.
    """
    today = timezone.localdate(now)
    today_start = _local_midnight(today)
    last_week_start = _local_midnight(today - timedelta(days=7))
    last_week_end = _local_midnight(today - timedelta(days=6))
    totals = shop_selectors.order_totals_in_windows(
        windows={
            "today": (today_start, now),
            "last_week_same_time": (last_week_start, last_week_start + (now - today_start)),
            "last_week_day": (last_week_start, last_week_end),
        }
    )
    return {
        **totals,
        "weekday": today.strftime("%A"),
        "last_week_date": today - timedelta(days=7),
        "orders_change": _change(
            totals["today"]["orders"], totals["last_week_same_time"]["orders"]
        ),
        "revenue_change": _change(
            totals["today"]["revenue"], totals["last_week_same_time"]["revenue"]
        ),
    }


def home_alerts_open(*, limit: int) -> dict[str, Any]:
    """The newest `limit` open sentiment alerts and how many are open. Two queries."""
    alerts = aspect_selectors.alert_list(status=SentimentAlert.Status.OPEN)
    return {"count": alerts.count(), "rows": list(alerts[:limit])}


def home_jobs_unfinished(*, limit: int) -> list[Job]:
    """The newest `limit` queued or running jobs. One query."""
    return list(ml_selectors.job_list_unfinished()[:limit])


@dataclass(frozen=True)
class AwaitingVersion:
    """A version newer than its task's champion, with the main metric of both."""

    version: ModelVersion
    champion_version: int | None
    metric: str | None
    value: str
    champion_value: str
    verdict: str  # "better", "worse", "same" or "" (nothing to compare)


def home_models_awaiting(*, limit: int) -> list[AwaitingVersion]:
    """The `limit` versions that wait for promotion (newer than their task's champion), each
    compared with the champion on the task's main metric. Two queries."""
    versions = list(ml_selectors.modelversion_list_awaiting_promotion()[:limit])
    if not versions:
        return []
    champions = {
        alias.task: alias.version
        for alias in ml_selectors.alias_list()
        if alias.name == ModelAlias.Name.CHAMPION
    }
    rows = []
    for version in versions:
        flat = metrics_flatten(version.metrics)
        champion = champions.get(version.task)
        champion_flat = metrics_flatten(champion.metrics) if champion else {}
        main = metric_main([flat, champion_flat] if champion_flat else [flat])
        value = flat.get(main) if main else None
        champion_value = champion_flat.get(main) if main else None
        verdict = ""
        if value is not None and champion_value is not None:
            if value == champion_value:
                verdict = "same"
            else:
                higher = value > champion_value
                verdict = "better" if higher == metric_higher_is_better(main) else "worse"
        rows.append(
            AwaitingVersion(
                version=version,
                champion_version=version.champion_version,
                metric=main,
                value=metric_format(value),
                champion_value=metric_format(champion_value) if champion else "",
                verdict=verdict,
            )
        )
    return rows


def home_campaigns_running(*, today: date, limit: int) -> list:
    """Campaigns running today, ending soonest first, each with `latest_effect` (its newest
    CampaignEffect, or None). Two queries."""
    campaigns = list(
        marketing_selectors.campaign_list_running(on=today).prefetch_related(
            Prefetch(
                "effects",
                queryset=CampaignEffect.objects.order_by("campaign_id", "-as_of"),
                to_attr="effects_newest_first",
            )
        )[:limit]
    )
    for campaign in campaigns:
        campaign.latest_effect = next(iter(campaign.effects_newest_first), None)
    return campaigns


def home_stock_at_risk(*, now: datetime, limit: int) -> list:
    """Products that run out within STOCK_MAX_DAYS_OF_COVER days at their recent rate of
    sales, fewest days first. One query."""
    return shop_selectors.product_list_stock_at_risk(
        as_of=now,
        window_days=STOCK_WINDOW_DAYS,
        max_days_of_cover=STOCK_MAX_DAYS_OF_COVER,
        limit=limit,
    )


# --- charts --------------------------------------------------------------------------------


def chart_orders_per_day(*, now: datetime, days: int, currency: str) -> dict[str, Any]:
    """Orders and revenue per day over the last `days` days, today included. One query."""
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    rows = {
        row["day"]: row
        for row in shop_selectors.order_revenue_per_day(
            start=_local_midnight(first), end=_local_midnight(today + timedelta(days=1))
        )
    }
    labels, orders, revenue = [], [], []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = rows.get(day)
        labels.append(day.isoformat())
        orders.append(row["orders"] if row else 0)
        revenue.append(float(round(row["revenue"] or 0, 2)) if row else 0.0)
    return chart_payload(
        kind="line",
        title=f"Orders and revenue per day, last {days} days",
        x_label="Day",
        labels=labels,
        series=[
            chart_series("orders", "Orders", orders),
            chart_series("revenue", f"Revenue ({currency})", revenue, axis="right", unit=currency),
        ],
    )


def chart_jobs_per_status(*, now: datetime, days: int) -> dict[str, Any]:
    """Jobs created in the last `days` days, per status. One query."""
    counts = ml_selectors.job_status_counts(since=now - timedelta(days=days))
    return chart_payload(
        kind="bar",
        title=f"Jobs per status, last {days} days",
        x_label="Status",
        labels=[label for _, label in Job.Status.choices],
        series=[chart_series("jobs", "Jobs", [counts[value] for value in Job.Status.values])],
    )


def chart_sentiment_share_per_week(*, now: datetime, weeks: int) -> dict[str, Any]:
    """Share of negative, neutral and positive reviews per week (percent of the week's
    reviews; None for a week without reviews), the last `weeks` weeks. One query."""
    today = timezone.localdate(now)
    first_monday = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    rows = weeks_fill(
        aspect_selectors.sentiment_weekly(since=_local_midnight(first_monday)),
        start=first_monday,
        end=today,
    )

    def share(row: dict, label: str) -> float | None:
        # A week without reviews has no share (a gap in the line, not a fall to zero).
        return round(100 * row[label] / row["total"], 1) if row["total"] else None

    return chart_payload(
        kind="line",
        title=f"Reviews by sentiment, share per week, last {weeks} weeks",
        x_label="Week of",
        labels=[row["week"].isoformat() for row in rows],
        series=[
            chart_series(label, label.capitalize(), [share(row, label) for row in rows], unit="%")
            for label in aspect_selectors.LABELS
        ],
        percent=True,
    )
