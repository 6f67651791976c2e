"""Churn risk, expected purchases, expected spend and lifetime value per customer.

The two models of `btyd` combined for the nightly job: fit BG/NBD on every customer's
(x, t_x, T) and Gamma-Gamma on the repeat customers' average spend (`fit_value_models`), then
score every customer (`customer_values`):

    churn_risk          = 1 - P(alive | x, t_x, T)                 (BG/NBD)
    expected_purchases  = E[Y(h) | x, t_x, T], h = horizon in model periods
    expected_spend      = E[M | m_x, x]                            (Gamma-Gamma)
    clv                 = discounted sum over the horizon's months (see `btyd`)

All formulas, their sources and the discounting approximation are in the `btyd` docstring.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from insights.customer_engine.btyd import (
    BgNbdFit,
    BgNbdParams,
    CustomerSummary,
    GammaGammaFit,
    GammaGammaParams,
    customer_lifetime_value,
    expected_average_spend,
    expected_purchases,
    fit_bg_nbd,
    fit_gamma_gamma,
    periods_per_month,
    probability_alive,
    summary_arrays,
)


@dataclass(frozen=True)
class CustomerValue:
    """One customer's scores over a horizon of `horizon_months` (module docstring)."""

    customer_id: Hashable
    probability_alive: float
    churn_risk: float
    expected_purchases: float
    expected_spend: float
    clv: float


@dataclass(frozen=True)
class ValueModels:
    """The fitted models; `gamma_gamma` is None when no customer has a repeat purchase."""

    bg_nbd: BgNbdFit
    gamma_gamma: GammaGammaFit | None


def fit_value_models(summaries: Sequence[CustomerSummary]) -> ValueModels:
    """BG/NBD on all `summaries`, Gamma-Gamma on those with a repeat purchase.

    Raises ValueError when no customer has a repeat purchase (nothing to learn a rate from).
    """
    x, t_x, age, spend = summary_arrays(summaries)
    bg_nbd = fit_bg_nbd(x, t_x, age)
    gamma_gamma = fit_gamma_gamma(x, spend) if ((x > 0) & (spend > 0)).any() else None
    return ValueModels(bg_nbd, gamma_gamma)


def customer_values(
    summaries: Sequence[CustomerSummary],
    *,
    bg_nbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    period: str = "weeks",
    margin: float = 1.0,
) -> list[CustomerValue]:
    """Scores of every customer in `summaries`, in order; `period` is the summaries' unit."""
    x, t_x, age, spend = summary_arrays(summaries)
    alive = probability_alive(bg_nbd, x, t_x, age)
    purchases = expected_purchases(bg_nbd, horizon_months * periods_per_month(period), x, t_x, age)
    average = expected_average_spend(gamma_gamma, x, spend)
    clv = customer_lifetime_value(
        bg_nbd,
        gamma_gamma,
        x,
        t_x,
        age,
        spend,
        horizon_months=horizon_months,
        monthly_discount_rate=monthly_discount_rate,
        period=period,
        margin=margin,
    )
    return [
        CustomerValue(
            customer_id=summary.customer_id,
            probability_alive=float(alive[i]),
            churn_risk=float(1.0 - alive[i]),
            expected_purchases=float(purchases[i]),
            expected_spend=float(average[i]),
            clv=float(clv[i]),
        )
        for i, summary in enumerate(summaries)
    ]
