"""Reads of sales forecasts: the sales the engine starts from, the latest run's forecasts and
the reorder suggestions computed from them.

Forecasts are written only by `insights.services.forecasts` (the `sales_forecast` job).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from insights.forecast_engine.stock import PeriodForecast, ReorderSuggestion, reorder_suggestion
from insights.models import SalesForecast, SalesForecastPoint, SalesForecastRun
from ml import selectors as ml_selectors
from ml.models import Job
from shop import selectors as shop_selectors
from shop.models import OrderItem

FORECAST_JOB_KIND = "sales_forecast"
PERIOD_DAYS = {"W": 7, "D": 1}


def sales_rows(*, as_of: date) -> list[tuple[int, int | None, date, int]]:
    """(product id, category id, local date, units) of every sold order item (one query).

    Items of orders in a sold status (`shop.selectors.SOLD_STATUSES`: paid, shipped,
    delivered) placed up to the end of `as_of`, dated by the local day of `placed_at`,
    oldest first.
    """
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    items = (
        OrderItem.objects.filter(
            order__status__in=shop_selectors.SOLD_STATUSES,
            order__placed_at__lt=end,
            quantity__gt=0,
        )
        .order_by("order__placed_at", "pk")
        .values_list("product_id", "product__category_id", "order__placed_at", "quantity")
    )
    return [
        (product_id, category_id, timezone.localdate(placed_at), quantity)
        for product_id, category_id, placed_at, quantity in items.iterator(chunk_size=5000)
    ]


def forecast_run_latest() -> SalesForecastRun | None:
    return SalesForecastRun.objects.select_related("job").order_by("-created_at", "-pk").first()


def forecast_run_list() -> QuerySet[SalesForecastRun]:
    return SalesForecastRun.objects.select_related("job").order_by("-created_at", "-pk")


def _with_points(queryset: QuerySet[SalesForecast]) -> QuerySet[SalesForecast]:
    return queryset.select_related("product", "category", "run").prefetch_related(
        Prefetch("points", queryset=SalesForecastPoint.objects.order_by("step"))
    )


def forecast_list(
    *, kind: str | None = None, run: SalesForecastRun | None = None
) -> QuerySet[SalesForecast]:
    """The forecasts of `run` (default: the latest), products then categories, with their
    points; three queries however many rows."""
    run = run or forecast_run_latest()
    if run is None:
        return SalesForecast.objects.none()
    queryset = SalesForecast.objects.filter(run=run)
    if kind:
        queryset = queryset.filter(kind=kind)
    return _with_points(queryset.order_by("kind", "product_id", "category_id", "pk"))


def forecast_for(*, kind: str, target_id: int) -> SalesForecast | None:
    """The latest run's forecast of one product or category (with points), or None."""
    run = forecast_run_latest()
    if run is None:
        return None
    field = "product_id" if kind == SalesForecast.Kind.PRODUCT else "category_id"
    return _with_points(
        SalesForecast.objects.filter(run=run, kind=kind, **{field: target_id})
    ).first()


def product_lead_time_days(product) -> float:
    """The product's supplier lead time: `attributes["lead_time_days"]` when it is a positive
    number, else settings.INSIGHTS_DEFAULT_LEAD_TIME_DAYS."""
    value = (product.attributes or {}).get("lead_time_days")
    try:
        days = float(value)
    except (TypeError, ValueError):
        return float(settings.INSIGHTS_DEFAULT_LEAD_TIME_DAYS)
    return days if days > 0 else float(settings.INSIGHTS_DEFAULT_LEAD_TIME_DAYS)


def reorder_suggestion_list(
    *, service_level: float | None = None, at_risk_only: bool = False
) -> list[tuple[SalesForecast, ReorderSuggestion]]:
    """(forecast, suggestion) for every active product forecast by the latest run, most at
    risk first (highest stockout probability, then fewest days of cover). Stock and lead time
    are read now; the arithmetic is `insights.forecast_engine.stock`. Three queries."""
    service_level = service_level or settings.INSIGHTS_SERVICE_LEVEL
    rows = []
    for forecast in forecast_list(kind=SalesForecast.Kind.PRODUCT):
        product = forecast.product
        if not product.is_active:
            continue
        periods = [PeriodForecast(point=p.point, hi80=p.hi80) for p in forecast.points.all()]
        if not periods:
            continue
        suggestion = reorder_suggestion(
            stock=product.stock,
            periods=periods,
            period_days=PERIOD_DAYS[forecast.run.frequency],
            lead_time_days=product_lead_time_days(product),
            review_days=float(settings.INSIGHTS_REVIEW_PERIOD_DAYS),
            service_level=service_level,
        )
        if at_risk_only and not suggestion.at_risk:
            continue
        rows.append((forecast, suggestion))
    rows.sort(
        key=lambda row: (
            -row[1].stockout_probability,
            row[1].days_of_cover if row[1].days_of_cover is not None else float("inf"),
            row[0].product_id,
        )
    )
    return rows


def sales_forecast_job_queued() -> Job | None:
    """The oldest queued `sales_forecast` job, if any."""
    return (
        ml_selectors.job_list(status=Job.Status.QUEUED, kind=FORECAST_JOB_KIND)
        .order_by("pk")
        .first()
    )
