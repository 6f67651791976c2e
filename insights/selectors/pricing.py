"""Reads of price suggestions: the weekly prices paid and units sold the elasticity is estimated
from, and the stored proposals.

Proposals are written only by `insights.services.pricing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from insights.models import PriceSuggestion
from ml import selectors as ml_selectors
from ml.models import Job
from shop import selectors as shop_selectors

PRICE_JOB_KIND = "price_suggestions"


@dataclass(frozen=True)
class WeekSales:
    """One product's sales in one week: units and the mean unit price paid (discounts in)."""

    product_id: int
    category_id: int | None
    week: date
    units: int
    price: float


def weekly_sales(*, start: datetime, end: datetime) -> list[WeekSales]:
    """Every product's weekly units and mean price paid over sold orders placed in
    [start, end) (`shop.selectors.product_weekly_sales_rows`; one query), product then week
    order. Weeks without a sale have no row; a week whose items were all free is left out
    (no price to learn from)."""
    rows = shop_selectors.product_weekly_sales_rows(start=start, end=end)
    return [
        WeekSales(product_id, category_id, week, int(units), float(revenue) / units)
        for product_id, category_id, week, units, revenue in rows
        if units > 0 and revenue > 0
    ]


def price_suggestion_list(*, status: str | None = None) -> QuerySet[PriceSuggestion]:
    """Proposals, newest first, with their product, category and decider (one query)."""
    queryset = PriceSuggestion.objects.select_related(
        "product", "product__category", "scope_category", "decided_by", "job"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-pk")


def price_suggestions_job_queued() -> Job | None:
    """The oldest queued `price_suggestions` job, if any."""
    return (
        ml_selectors.job_list(status=Job.Status.QUEUED, kind=PRICE_JOB_KIND).order_by("pk").first()
    )
