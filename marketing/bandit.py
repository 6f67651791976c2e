"""Choosing the ad variant to show, holding shoppers out, and the statistics of the report.
Pure: numpy and scipy, no Django (the storefront API and the benchmark use the same code).

Each variant is an arm with a Beta posterior on its conversion rate per impression:
Beta(1 + conversions, 1 + impressions - conversions) (a uniform prior). Thompson sampling draws
one rate per arm and shows the arm with the highest draw, so an arm is shown as often as it is
probably the best.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import beta as beta_distribution


@dataclass(frozen=True)
class ArmStats:
    impressions: int
    conversions: int

    @property
    def alpha(self) -> float:
        return 1.0 + self.conversions

    @property
    def beta(self) -> float:
        # Conversions can outnumber impressions when impressions went unreported.
        return 1.0 + max(self.impressions - self.conversions, 0)


def thompson_choose(arms: Sequence[ArmStats], *, rng: np.random.Generator) -> int:
    """The index of the arm with the highest draw from its Beta posterior."""
    if not arms:
        raise ValueError("no arms to choose from")
    draws = rng.beta([a.alpha for a in arms], [a.beta for a in arms])
    return int(np.argmax(draws))


def holdout_bucket(*, unit: str, salt: str) -> float:
    """A number in [0, 1) fixed by (salt, unit): sha256, so it is the same in every process and
    spread evenly whatever the ids look like."""
    digest = hashlib.sha256(f"{salt}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_holdout(*, share: float, unit: str, salt: str) -> bool:
    """Whether the shopper `unit` ("customer:12", "session:ab3") is held out of the experiment
    `salt` (a campaign) whose holdout takes `share` of shoppers. The same shopper always gets
    the same answer for the same experiment, so they stay in one arm."""
    return share > 0 and holdout_bucket(unit=unit, salt=salt) < share


def conversion_interval(
    *, conversions: int, impressions: int, level: float = 0.95
) -> tuple[float, float]:
    """The equal-tailed credible interval of the conversion rate: the (1 - level) / 2 and
    (1 + level) / 2 quantiles of Beta(1 + conversions, 1 + impressions - conversions)."""
    arm = ArmStats(impressions, conversions)
    tail = (1 - level) / 2
    low, high = beta_distribution.ppf([tail, 1 - tail], arm.alpha, arm.beta)
    return float(low), float(high)


def probability_best(
    arms: Sequence[ArmStats], *, draws: int = 20_000, rng: np.random.Generator | None = None
) -> list[float]:
    """P(arm has the highest conversion rate) for each arm, by Monte Carlo over the posteriors
    (ties go to the first arm, which with continuous draws has probability zero)."""
    if not arms:
        return []
    rng = rng if rng is not None else np.random.default_rng(0)
    samples = rng.beta([a.alpha for a in arms], [a.beta for a in arms], size=(draws, len(arms)))
    wins = np.bincount(np.argmax(samples, axis=1), minlength=len(arms))
    return [float(w) / draws for w in wins]


@dataclass(frozen=True)
class Lift:
    """Relative lift of the treated conversion rate over the control's: treated / control - 1."""

    mean: float
    low: float
    high: float
    probability_positive: float


def lift_interval(
    treated: ArmStats,
    control: ArmStats,
    *,
    level: float = 0.95,
    draws: int = 20_000,
    rng: np.random.Generator | None = None,
) -> Lift:
    """The posterior mean, equal-tailed credible interval and P(lift > 0) of
    treated_rate / control_rate - 1, by Monte Carlo over the two Beta posteriors."""
    rng = rng if rng is not None else np.random.default_rng(0)
    treated_rate = rng.beta(treated.alpha, treated.beta, size=draws)
    control_rate = rng.beta(control.alpha, control.beta, size=draws)
    lift = treated_rate / control_rate - 1
    tail = (1 - level) / 2
    low, high = np.quantile(lift, [tail, 1 - tail])
    return Lift(
        mean=float(np.mean(lift)),
        low=float(low),
        high=float(high),
        probability_positive=float(np.mean(lift > 0)),
    )
