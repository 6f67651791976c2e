"""The rows every forecast starts from, as a regular panel of periods.

A row is `(series_id, date, value)`: for sales, a product or category, the day of an order and
the units sold. Rows are summed per series and period (weeks start on Monday; days are days).
Each series runs from the period of its first row to the panel's last period; a period with
no row inside that span is a zero (nothing sold), periods before the first row are absent
(NaN): the product was not on sale yet.

Events (holidays, campaigns) are named sets of dates; `event_matrix` marks, for each event,
the periods that contain one of its dates, on the history and the forecast horizon alike.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from insights.forecast_engine.config import ForecastConfig


def period_start(day: date, frequency: str) -> date:
    """The first day of the period holding `day` (Monday for weeks)."""
    if isinstance(day, datetime):
        day = day.date()
    if frequency == "W":
        return day - timedelta(days=day.weekday())
    return day


def period_step(frequency: str) -> timedelta:
    return timedelta(days=7 if frequency == "W" else 1)


@dataclass(frozen=True)
class Panel:
    """Series on common periods: values[i, j] is series ids[i] in the period periods[j]."""

    ids: list[Hashable]
    periods: list[date]
    values: np.ndarray  # (series, periods), float, NaN before a series' first period
    frequency: str

    # Computed once: they read the whole panel, and code that loops over the series reads
    # them per series (at 100,000 series a property recomputed per read made the forecast
    # job quadratic).
    @functools.cached_property
    def starts(self) -> np.ndarray:
        """Index of each series' first period."""
        observed = ~np.isnan(self.values)
        return np.argmax(observed, axis=1)

    @functools.cached_property
    def lengths(self) -> np.ndarray:
        return len(self.periods) - self.starts

    def future_periods(self, horizon: int) -> list[date]:
        step = period_step(self.frequency)
        last = self.periods[-1]
        return [last + step * (h + 1) for h in range(horizon)]

    def history(self, index: int) -> np.ndarray:
        row = self.values[index]
        return row[~np.isnan(row)]


def panel_from_rows(
    rows: Iterable[tuple[Hashable, date, float]],
    *,
    config: ForecastConfig,
    end: date | None = None,
) -> Panel:
    """Sum the rows per series and period; zeros fill the periods without rows.

    `end`: a day in the last period of the panel (default: the latest row). Rows after that
    period are ignored. Raises ValueError when no row is left or a value is not finite.
    """
    totals: dict[Hashable, dict[date, float]] = {}
    for series_id, day, value in rows:
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f"Series {series_id!r} has a value that is not a number on {day}.")
        period = period_start(day, config.frequency)
        by_period = totals.setdefault(series_id, {})
        by_period[period] = by_period.get(period, 0.0) + value
    last = period_start(end, config.frequency) if end is not None else None
    if last is not None:
        totals = {
            series_id: {p: v for p, v in by_period.items() if p <= last}
            for series_id, by_period in totals.items()
        }
        totals = {series_id: by_period for series_id, by_period in totals.items() if by_period}
    if not totals:
        raise ValueError("No sales to forecast: the history is empty.")
    first = min(min(by_period) for by_period in totals.values())
    last = last or max(max(by_period) for by_period in totals.values())
    step = period_step(config.frequency)
    count = (last - first) // step + 1
    periods = [first + step * j for j in range(count)]
    position = {period: j for j, period in enumerate(periods)}
    ids = sorted(totals, key=lambda value: (str(type(value)), value))
    values = np.full((len(ids), count), np.nan)
    for i, series_id in enumerate(ids):
        by_period = totals[series_id]
        start = position[min(by_period)]
        values[i, start:] = 0.0
        for period, value in by_period.items():
            values[i, position[period]] = value
    return Panel(ids=ids, periods=periods, values=values, frequency=config.frequency)


def event_matrix(
    events: Mapping[str, Iterable[date]] | None, periods: list[date], frequency: str
) -> tuple[list[str], np.ndarray]:
    """(event names, flags) with flags[e, j] = 1.0 when event e has a date in periods[j]."""
    names = sorted(events or {})
    flags = np.zeros((len(names), len(periods)))
    position = {period: j for j, period in enumerate(periods)}
    for e, name in enumerate(names):
        for day in events[name]:
            j = position.get(period_start(day, frequency))
            if j is not None:
                flags[e, j] = 1.0
    return names, flags


def panel_long_frame(panel: Panel, *, end: int | None = None, indices=None) -> pd.DataFrame:
    """The panel (up to period index `end`, exclusive) as statsforecast's long frame
    (unique_id as the row index into the panel, ds, y), observed periods only."""
    end = len(panel.periods) if end is None else end
    rows = np.arange(len(panel.ids)) if indices is None else np.asarray(indices)
    values = panel.values[rows, :end]
    series, column = np.nonzero(~np.isnan(values))
    return pd.DataFrame(
        {
            "unique_id": rows[series],
            "ds": pd.to_datetime(np.array(panel.periods[:end], dtype="datetime64[D]")[column]),
            "y": values[series, column],
        }
    )
