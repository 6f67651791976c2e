"""The transaction row every customer model starts from, and same-day grouping.

A row is `(customer_id, when, amount)`: one order of one customer. `when` is a `date`, or a
`datetime` whose `.date()` is taken as is, so the caller decides the calendar: pass dates in
the store's time zone (Django: `timezone.localdate(order.placed_at)`). `amount` is any real
number (`Decimal` included) and is converted to float. Cancelled or returned orders are the
caller's business to leave out.

The buy-till-you-die summaries count purchase *days*, not orders: several orders placed the
same day are one transaction whose value is their sum, as in Fader, Hardie and Lee's CDNOW
summaries (and the `lifetimes` package's `summary_data_from_transaction_data`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable
from typing import Any, NamedTuple

#: Length of one model period in days, by unit name.
PERIOD_DAYS: dict[str, int] = {"days": 1, "weeks": 7}


class Transaction(NamedTuple):
    customer_id: Hashable
    when: dt.date
    amount: float


def as_date(when: dt.date | dt.datetime) -> dt.date:
    """The calendar day of `when` (a datetime's own `.date()`, in its own time zone)."""
    if isinstance(when, dt.datetime):
        return when.date()
    if isinstance(when, dt.date):
        return when
    raise TypeError(f"Expected a date or datetime, got {type(when).__name__}.")


def period_days(period: str) -> int:
    """Days in one period of `period` ("days" or "weeks"); ValueError for any other unit."""
    try:
        return PERIOD_DAYS[period]
    except KeyError:
        raise ValueError(f"period must be one of {sorted(PERIOD_DAYS)}, got {period!r}.") from None


def normalise_rows(rows: Iterable[Any]) -> list[Transaction]:
    """Rows as `Transaction`s with a date and a float amount, in input order."""
    out: list[Transaction] = []
    for row in rows:
        customer_id, when, amount = row
        out.append(Transaction(customer_id, as_date(when), float(amount)))
    return out


def daily_purchases(rows: Iterable[Any]) -> dict[Hashable, list[tuple[dt.date, float]]]:
    """Per customer, (day, summed amount) for every day with a purchase, in date order.

    Customers appear in the order of their first row in `rows`.
    """
    days: dict[Hashable, dict[dt.date, float]] = {}
    for customer_id, day, amount in normalise_rows(rows):
        per_day = days.setdefault(customer_id, {})
        per_day[day] = per_day.get(day, 0.0) + amount
    return {customer: sorted(per_day.items()) for customer, per_day in days.items()}
