"""Price elasticity from price changes, and guard-railed price suggestions.

Elasticity. Over the periods of one product (or a pool of products with their own levels),
log(quantity) = a_product + e * log(price) + noise, fitted by least squares on periods with a
sale (log of zero is undefined; periods without sales are left out, which biases e towards
zero for slow sellers: documented, not corrected). With several products each gets its own
intercept (within transformation) and they share e. The standard error is the usual OLS one.
At least two distinct prices are needed: a history without price changes says nothing about
elasticity, and `estimate_elasticity` then returns None.

Suggestion. Under constant elasticity e < -1 and unit cost c the profit-maximising price is
p* = c e / (1 + e). The suggestion moves from the current price p towards p* but

- by at most `max_change` (a share of p) either way,
- never below the margin floor: (price - c) / price >= `margin_floor`, i.e.
  price >= c / (1 - margin_floor),
- stays at p when e is not clearly below -1 (its upper 95% bound is >= -1: demand is not
  elastic enough for the formula, which has no finite optimum there) unless the margin floor
  forces a rise.

Expected effect of price p' against p: quantity ratio (p'/p)^e, revenue ratio (p'/p)^(1+e),
profit per period (p' - c) q (p'/p)^e against (p - c) q. The uncertainty is the range of
each over e +- 1.96 se. A suggestion is only a proposal: `needs_approval` is always true and
nothing here changes a price.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Elasticity:
    elasticity: float
    standard_error: float
    observations: int
    products: int

    @property
    def interval(self) -> tuple[float, float]:
        return (
            self.elasticity - Z95 * self.standard_error,
            self.elasticity + Z95 * self.standard_error,
        )


def estimate_elasticity(
    rows: Sequence[tuple[Hashable, float, float]],
) -> Elasticity | None:
    """Shared elasticity from (product, price, quantity) rows; None without price changes."""
    groups: dict[Hashable, list[tuple[float, float]]] = {}
    for product, price, quantity in rows:
        if price <= 0:
            raise ValueError("Prices must be positive.")
        if quantity > 0:
            groups.setdefault(product, []).append((math.log(price), math.log(quantity)))
    xs, ys = [], []
    for values in groups.values():
        x = np.array([v[0] for v in values])
        y = np.array([v[1] for v in values])
        if np.ptp(x) == 0:
            continue  # no price change: no information on e, only the product's level
        xs.append(x - x.mean())
        ys.append(y - y.mean())
    if not xs:
        return None
    x, y = np.concatenate(xs), np.concatenate(ys)
    products = len(xs)
    slope = float((x @ y) / (x @ x))
    dof = len(x) - products - 1
    if dof < 1:
        return None
    residual = y - slope * x
    sigma2 = float(residual @ residual) / dof
    return Elasticity(slope, math.sqrt(sigma2 / float(x @ x)), len(x), products)


@dataclass(frozen=True)
class PriceSuggestion:
    current_price: float
    suggested_price: float
    unit_cost: float
    reason: str
    quantity_change: tuple[float, float, float]  # (low, expected, high) relative change
    revenue_change: tuple[float, float, float]
    profit_change: tuple[float, float, float]  # per period, in money
    needs_approval: bool = True


def _effects(price, new_price, cost, quantity, elasticity):
    ratio = new_price / price
    q_change = ratio**elasticity - 1
    r_change = ratio ** (1 + elasticity) - 1
    profit = (new_price - cost) * quantity * ratio**elasticity - (price - cost) * quantity
    return q_change, r_change, profit


def suggest_price(
    *,
    price: float,
    unit_cost: float,
    quantity_per_period: float,
    elasticity: Elasticity,
    max_change: float = 0.1,
    margin_floor: float = 0.2,
) -> PriceSuggestion:
    """A bounded, margin-floored price proposal with its expected effect (module doc)."""
    if price <= 0 or unit_cost < 0 or quantity_per_period < 0:
        raise ValueError("price must be positive; cost and quantity must not be negative.")
    if not 0 < max_change < 1 or not 0 <= margin_floor < 1:
        raise ValueError("max_change must be in (0, 1) and margin_floor in [0, 1).")
    e = elasticity.elasticity
    floor = unit_cost / (1 - margin_floor)
    low_bound, high_bound = price * (1 - max_change), price * (1 + max_change)
    if elasticity.interval[1] < -1:
        target = unit_cost * e / (1 + e)
        reason = f"profit-maximising price under elasticity {e:.2f} is {target:.2f}"
    else:
        target = price
        reason = f"demand not clearly elastic (elasticity {e:.2f}): price kept"
    suggested = min(max(target, low_bound), high_bound)
    if suggested < floor:
        suggested = min(floor, high_bound) if floor > price else floor
        reason += f"; raised towards the {margin_floor:.0%} margin floor (at most {max_change:.0%})"
    elif suggested != target:
        reason += f"; limited to a {max_change:.0%} change"
    suggested = round(suggested, 2)
    effects = [
        _effects(price, suggested, unit_cost, quantity_per_period, value)
        for value in (elasticity.interval[0], e, elasticity.interval[1])
    ]

    def spread(index):
        values = [effect[index] for effect in effects]
        return (min(values), values[1], max(values))

    return PriceSuggestion(
        current_price=price,
        suggested_price=suggested,
        unit_cost=unit_cost,
        reason=reason,
        quantity_change=spread(0),
        revenue_change=spread(1),
        profit_change=spread(2),
    )
