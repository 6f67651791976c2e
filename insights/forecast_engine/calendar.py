"""Retail holidays as forecast events: the dates the store's sales move on every year.

Black Friday (the day after the fourth Thursday of November) and Christmas Day, for each year
the history and horizon touch. `forecast_panel` takes them, with any campaign dates, as
events (see `engine`).
"""

from __future__ import annotations

from datetime import date, timedelta


def black_friday(year: int) -> date:
    november_first = date(year, 11, 1)
    first_thursday = november_first + timedelta(days=(3 - november_first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def retail_holidays(first: date, last: date) -> dict[str, list[date]]:
    """{"black_friday": [...], "christmas": [...]} for the years from `first` to `last`."""
    years = range(first.year, last.year + 1)
    return {
        "black_friday": [black_friday(year) for year in years],
        "christmas": [date(year, 12, 25) for year in years],
    }
