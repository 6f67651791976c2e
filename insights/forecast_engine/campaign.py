"""Campaign effect: incremental outcomes (orders, revenue) of a finished campaign, with
confidence intervals.

Two designs, both on one number per unit (a customer or a product):

- `holdout_lift`: the campaign held out a random share of its audience. Units are outcomes
  over the campaign period. Effect per unit = mean(treated) - mean(holdout); its standard
  error is Welch's, sqrt(s_t^2 / n_t + s_h^2 / n_h); the interval is effect +- t * se with
  Student's t at Welch-Satterthwaite degrees of freedom. Incremental total = effect * n_t
  (its interval scales the same way).
- `difference_in_differences`: no holdout, so comparable units that the campaign did not
  reach serve as control. Each unit has its outcome before and during the campaign (periods
  of the same length); d = during - before. Effect per unit = mean(d_treated) -
  mean(d_control), with the same Welch interval on the d's. This assumes parallel trends: the
  treated units would have changed like the controls without the campaign.

Both are plain two-sample comparisons, so they are exact under normality and approximately
right for large groups; they need at least two units per group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Lift:
    """Effect per treated unit and in total, each with its confidence interval."""

    design: str
    effect: float
    standard_error: float
    low: float
    high: float
    treated: int
    control: int
    confidence: float

    @property
    def incremental_total(self) -> float:
        return self.effect * self.treated

    @property
    def total_interval(self) -> tuple[float, float]:
        return self.low * self.treated, self.high * self.treated

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def _welch(treated: np.ndarray, control: np.ndarray, confidence: float, design: str) -> Lift:
    if len(treated) < 2 or len(control) < 2:
        raise ValueError("Each group needs at least two units.")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1.")
    if not (np.isfinite(treated).all() and np.isfinite(control).all()):
        raise ValueError("Outcomes must be numbers.")
    var_t = treated.var(ddof=1) / len(treated)
    var_c = control.var(ddof=1) / len(control)
    effect = float(treated.mean() - control.mean())
    se = math.sqrt(var_t + var_c)
    if se == 0:
        low = high = effect
    else:
        dof = (var_t + var_c) ** 2 / (var_t**2 / (len(treated) - 1) + var_c**2 / (len(control) - 1))
        half = float(stats.t.ppf(0.5 + confidence / 2, dof)) * se
        low, high = effect - half, effect + half
    return Lift(design, effect, se, low, high, len(treated), len(control), confidence)


def holdout_lift(
    treated: Sequence[float], holdout: Sequence[float], *, confidence: float = 0.95
) -> Lift:
    """Effect of a campaign with a random holdout (outcomes per unit over the campaign)."""
    return _welch(
        np.asarray(treated, dtype=float), np.asarray(holdout, dtype=float), confidence, "holdout"
    )


def difference_in_differences(
    treated_before: Sequence[float],
    treated_during: Sequence[float],
    control_before: Sequence[float],
    control_during: Sequence[float],
    *,
    confidence: float = 0.95,
) -> Lift:
    """Effect of a campaign against comparable untreated units (module docstring)."""
    treated_before, treated_during = (
        np.asarray(treated_before, float),
        np.asarray(treated_during, float),
    )
    control_before, control_during = (
        np.asarray(control_before, float),
        np.asarray(control_during, float),
    )
    if treated_before.shape != treated_during.shape or control_before.shape != control_during.shape:
        raise ValueError("Each unit needs one outcome before and one during the campaign.")
    return _welch(
        treated_during - treated_before,
        control_during - control_before,
        confidence,
        "difference_in_differences",
    )
