"""Reorder suggestions from a forecast: demand over the lead time, safety stock, reorder point.

Inputs per product: the forecast periods (point forecast f_k and 80% upper bound u_k, each
period `period_days` long), the stock on hand S, the supplier lead time L days, the review
period R days (how often orders are placed) and the service level p (the wanted probability of
not running out before a new delivery arrives).

Per-period uncertainty. The upper side of the 80% interval is never clipped at zero, so
sigma_k = (u_k - f_k) / z_0.90 (z_0.90 = 1.2816: the 80% central interval spans +-1.2816 sd).

Demand over D days. It covers n = floor(D / period_days) whole periods and a fraction
r = D / period_days - n of the next one:

    mu(D)    = f_1 + ... + f_n + r f_{n+1}
    sigma(D) = sqrt(sigma_1^2 + ... + sigma_n^2 + r^2 sigma_{n+1}^2)

(periods' errors taken as independent; a part of a period is that share of the period's
demand, hence r^2). Beyond the forecast horizon the last period is repeated.

    z              = Phi^-1(p)
    safety stock   SS  = z sigma(L)
    reorder point  ROP = mu(L) + SS
    order-up-to    T   = mu(L + R) + z sigma(L + R)
    suggestion     Q   = ceil(T - S) when S <= ROP, else 0
    P(stockout)        = 1 - Phi((S - mu(L)) / sigma(L))   (over the lead time, no order)
    days of cover      = the day at which cumulative expected demand reaches S (linear
                         within a period); None when beyond the horizon

A product is at risk of running out when S <= ROP: its stock does not cover the lead time at
the service level (equivalently P(stockout) >= 1 - p). Orders already on their way are not
known to the store, so they are not subtracted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

Z80 = NormalDist().inv_cdf(0.9)


@dataclass(frozen=True)
class PeriodForecast:
    point: float
    hi80: float

    @property
    def sigma(self) -> float:
        return max(self.hi80 - self.point, 0.0) / Z80


@dataclass(frozen=True)
class Demand:
    mean: float
    sd: float


@dataclass(frozen=True)
class ReorderSuggestion:
    stock: int
    lead_time_days: float
    review_days: float
    service_level: float
    lead_time_demand: float
    lead_time_sd: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    quantity: int
    stockout_probability: float
    days_of_cover: float | None

    @property
    def at_risk(self) -> bool:
        return self.stock <= self.reorder_point


def demand_over(days: float, periods: Sequence[PeriodForecast], period_days: int) -> Demand:
    """Expected demand over the next `days` days and its standard deviation (module doc)."""
    if days < 0:
        raise ValueError("days must not be negative.")
    if not periods:
        raise ValueError("A forecast with at least one period is needed.")
    whole, fraction = divmod(days / period_days, 1.0)
    mean, variance = 0.0, 0.0
    for k in range(int(whole) + (1 if fraction > 1e-12 else 0)):
        period = periods[min(k, len(periods) - 1)]
        share = 1.0 if k < whole else fraction
        mean += share * period.point
        variance += (share * period.sigma) ** 2
    return Demand(mean=mean, sd=math.sqrt(variance))


def days_of_cover(
    stock: float, periods: Sequence[PeriodForecast], period_days: int
) -> float | None:
    """Days until cumulative expected demand reaches `stock`; None beyond the horizon."""
    if stock <= 0:
        return 0.0
    covered = 0.0
    for k, period in enumerate(periods):
        if period.point > 0 and covered + period.point >= stock:
            return (k + (stock - covered) / period.point) * period_days
        covered += max(period.point, 0.0)
    return None


def reorder_suggestion(
    *,
    stock: int,
    periods: Sequence[PeriodForecast],
    period_days: int,
    lead_time_days: float,
    review_days: float,
    service_level: float,
) -> ReorderSuggestion:
    """The reorder point, safety stock and order quantity of one product (module doc)."""
    if not 0.5 <= service_level < 1:
        raise ValueError("service_level must be at least 0.5 and below 1.")
    if lead_time_days < 0 or review_days < 0:
        raise ValueError("Lead time and review period must not be negative.")
    normal = NormalDist()
    z = normal.inv_cdf(service_level)
    lead = demand_over(lead_time_days, periods, period_days)
    protect = demand_over(lead_time_days + review_days, periods, period_days)
    safety = z * lead.sd
    reorder_point = lead.mean + safety
    order_up_to = protect.mean + z * protect.sd
    on_hand = max(stock, 0)
    quantity = max(math.ceil(order_up_to - on_hand - 1e-9), 0) if on_hand <= reorder_point else 0
    if lead.sd > 0:
        stockout = 1.0 - normal.cdf((on_hand - lead.mean) / lead.sd)
    else:
        stockout = 1.0 if on_hand < lead.mean else 0.0
    return ReorderSuggestion(
        stock=stock,
        lead_time_days=lead_time_days,
        review_days=review_days,
        service_level=service_level,
        lead_time_demand=lead.mean,
        lead_time_sd=lead.sd,
        safety_stock=safety,
        reorder_point=reorder_point,
        order_up_to=order_up_to,
        quantity=quantity,
        stockout_probability=stockout,
        days_of_cover=days_of_cover(on_hand, periods, period_days),
    )
