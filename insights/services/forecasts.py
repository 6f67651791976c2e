"""Writes of sales forecasts: the recompute of every product's and category's forecast, and
the job that runs it.

The pure work lives in `insights.forecast_engine` (candidate models, selection by rolling-
origin cross-validation, conformal intervals, peaks and troughs; see `engine`'s docstring).
Here sold order items are read through the selectors, summed per product and per category
and period, the engine runs on all of them at once (products and categories are series of
one panel, so the pooled model learns from both), and the run replaces the stored forecasts
in one transaction.

What counts as a sale: units of order items in a sold status (paid, shipped, delivered:
`shop.selectors.SOLD_STATUSES`), dated by the local day the order was placed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from insights.forecast_engine.calendar import retail_holidays
from insights.forecast_engine.config import ForecastConfig
from insights.forecast_engine.engine import ForecastResult, forecast_panel
from insights.forecast_engine.panel import Panel, panel_from_rows
from insights.models import SalesForecast, SalesForecastPoint, SalesForecastRun
from insights.selectors import forecasts as selectors
from ml import services as ml_services
from ml.models import Job
from shop.bulk import insert_many

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]

DEFAULT_FREQUENCY = "W"
DEFAULT_HORIZON = {"W": 8, "D": 28}
#: Periods of history kept with each forecast for the chart.
HISTORY_PERIODS = {"W": 52, "D": 90}
WRITE_BATCH_SIZE = 2000
SERIES_PER_WRITE = 5000
#: Reorder quantities need the expected (mean) demand; most products sell a unit now and then,
#: and for such series the MAE is smallest for a forecast of zero (their median), so models
#: are chosen by cross-validated RMSE, which the mean minimises.
SELECTION_METRIC = "rmse"
PRODUCT, CATEGORY = SalesForecast.Kind.PRODUCT, SalesForecast.Kind.CATEGORY


def _no_progress(percent: float, message: str = "") -> None:
    return None


@dataclass(frozen=True)
class SalesForecastResult:
    run: SalesForecastRun
    products: int
    categories: int


def last_complete_day(as_of: date, frequency: str) -> date:
    """The last day of the last whole period up to `as_of`: a week in progress (as_of not a
    Sunday) would read as a week of low sales, so it is left out; days are always whole."""
    if frequency == "W":
        return as_of - timedelta(days=(as_of.weekday() + 1) % 7)
    return as_of


def sales_forecast_recompute(
    *,
    as_of: date | None = None,
    frequency: str = DEFAULT_FREQUENCY,
    horizon: int | None = None,
    job_id: int | None = None,
    progress: ProgressCallback | None = None,
) -> SalesForecastResult:
    """Forecast the units sold of every product and category that has sold anything.

    Reads the sold items up to the end of `as_of` (default today, local time), builds one
    panel of weekly (or daily) units per product and per category, up to the last whole
    period (`last_complete_day`), and runs `forecast_panel` with the retail holidays as
    events. Then, in one transaction: writes a SalesForecastRun (configuration, per-model
    metrics, interval calibration, `job_id`), one SalesForecast per series (chosen model,
    scaled cross-validated error per candidate, recent history) with its SalesForecastPoint
    rows, and deletes the forecasts of earlier runs (their runs stay, with their metrics).
    Raises ValueError for a bad frequency or horizon, or when nothing was ever sold; nothing
    is written then.
    Reports progress outside the transaction; `progress` raises JobCancelled on cancel.
    """
    progress = progress or _no_progress
    as_of = as_of or timezone.localdate()
    horizon = horizon or DEFAULT_HORIZON.get(frequency, 8)
    config = ForecastConfig(frequency=frequency, horizon=horizon, selection_metric=SELECTION_METRIC)
    progress(1, f"Reading sales up to {as_of}")
    rows = selectors.sales_rows(as_of=as_of)
    series_rows = []
    for product_id, category_id, day, units in rows:
        series_rows.append(((PRODUCT, product_id), day, units))
        if category_id is not None:
            series_rows.append(((CATEGORY, category_id), day, units))
    panel = panel_from_rows(series_rows, config=config, end=last_complete_day(as_of, frequency))
    progress(5, f"Forecasting {len(panel.ids)} series over {len(panel.periods)} periods")
    started = time.perf_counter()
    holidays = retail_holidays(panel.periods[0], panel.future_periods(horizon)[-1])

    def engine_progress(percent: float, message: str = "") -> None:
        progress(5 + 0.85 * percent, message)

    result = forecast_panel(panel, config=config, events=holidays, progress=engine_progress)
    seconds = time.perf_counter() - started
    progress(92, "Saving the forecasts")
    run = _forecasts_save(as_of=as_of, job_id=job_id, panel=panel, result=result, seconds=seconds)
    counts = {PRODUCT: 0, CATEGORY: 0}
    for kind, _target in panel.ids:
        counts[kind] += 1
    progress(100, f"Forecast {counts[PRODUCT]} products and {counts[CATEGORY]} categories")
    return SalesForecastResult(run=run, products=counts[PRODUCT], categories=counts[CATEGORY])


@transaction.atomic
def _forecasts_save(
    *, as_of: date, job_id: int | None, panel: Panel, result: ForecastResult, seconds: float
) -> SalesForecastRun:
    config = result.config
    run = SalesForecastRun.objects.create(
        as_of=as_of,
        job_id=job_id,
        frequency=config.frequency,
        horizon=config.horizon,
        season_length=config.season,
        params=config.as_dict(),
        series_count=len(panel.ids),
        model_metrics=result.model_summary,
        interval_quantiles=result.interval_quantiles,
        notes=_notes(result),
        seconds=round(seconds, 3),
        created_at=timezone.now(),
    )
    keep = HISTORY_PERIODS[config.frequency]
    periods = panel.periods[-keep:]
    frame, h = result.forecasts, config.horizon  # h rows per series, in the order of choices
    # A few thousand series at a time, so the rows built for the database (52 periods of
    # history per series, 8 points) never exist for the whole catalogue at once.
    for start in range(0, len(result.choices), SERIES_PER_WRITE):
        stop = min(start + SERIES_PER_WRITE, len(result.choices))
        forecasts = []
        for i in range(start, stop):
            choice = result.choices[i]
            kind, target = choice.series_id
            history = panel.values[i, -keep:]
            forecasts.append(
                SalesForecast(
                    run=run,
                    kind=kind,
                    product_id=target if kind == PRODUCT else None,
                    category_id=target if kind == CATEGORY else None,
                    tier=choice.tier,
                    model=choice.model,
                    baseline=choice.baseline,
                    cv_scaled_error={
                        name: round(value, 4) for name, value in choice.cv_scaled_error.items()
                    },
                    scale=choice.scale,
                    history_length=choice.history_length,
                    history=[
                        [period.isoformat(), float(value)]
                        for period, value in zip(periods, history, strict=True)
                        if value == value  # not NaN: before the first sale
                    ],
                )
            )
        SalesForecast.objects.bulk_create(forecasts, batch_size=WRITE_BATCH_SIZE)
        insert_many(
            SalesForecastPoint,
            [
                SalesForecastPoint(
                    forecast_id=forecasts[k // h].pk,
                    period=row.period,
                    step=row.step,
                    point=row.point,
                    lo80=min(row.lo_80, row.point),
                    hi80=max(row.hi_80, row.point),
                    lo95=min(row.lo_95, row.lo_80, row.point),
                    hi95=max(row.hi_95, row.hi_80, row.point),
                    flag=row.flag,
                )
                for k, row in enumerate(frame.iloc[start * h : stop * h].itertuples(index=False))
            ],
        )
    SalesForecast.objects.exclude(run=run).delete()
    return run


def _notes(result: ForecastResult) -> str:
    tiers: dict[str, int] = {}
    for choice in result.choices:
        tiers[choice.tier] = tiers.get(choice.tier, 0) + 1
    lines = [
        "Series by history length: "
        + ", ".join(f"{name} {count}" for name, count in sorted(tiers.items()))
    ]
    if "seasonal" not in tiers and "one_season" not in tiers:
        lines.append(
            "No series has a full season of history plus the cross-validation windows, so no "
            "seasonal model was fitted (see insights.forecast_engine.engine)."
        )
    return "\n".join(lines)


# --- jobs ---------------------------------------------------------------------------------


def sales_forecast_submit(*, user=None, params: dict | None = None) -> Job:
    """Queue a `sales_forecast` job (enqueued after commit); returns it.

    A job of that kind already waiting in the queue is returned instead of a second one.
    """
    queued = selectors.sales_forecast_job_queued()
    if queued is not None:
        return queued
    return ml_services.job_submit(
        kind=selectors.FORECAST_JOB_KIND, params=params or {}, created_by=user
    )
