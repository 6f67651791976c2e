"""Choosing the ad variant to show, holding shoppers out, and the statistics of the report.
Pure: numpy and scipy, no Django (the storefront API and the benchmark use the same code).

Each variant is an arm with a Beta posterior on its conversion rate per impression:
Beta(1 + conversions, 1 + impressions - conversions) (a uniform prior). Thompson sampling draws
one rate per arm and shows the arm with the highest draw, so an arm is shown as often as it is
probably the best.

Conversions arrive late: an order comes minutes to days after the ad, and until it does the
impression looks like a failure, most of all for the arm shown most in the last days (the one
that is winning). So an impression counts in the posterior only by the share of its conversion
that would be known by now: `impressions_effective` weighs each impression by the conversion
delay's CDF at its age (`ConversionDelay`), the delayed-feedback correction of Chapelle (2014),
"Modeling delayed feedback in display advertising".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import beta as beta_distribution


@dataclass(frozen=True)
class ArmStats:
    """Counts of one arm. `impressions` may be effective (delay-weighted, fractional)."""

    impressions: float
    conversions: int

    @property
    def alpha(self) -> float:
        return 1.0 + self.conversions

    @property
    def beta(self) -> float:
        # Conversions can outnumber impressions when impressions went unreported.
        return 1.0 + max(self.impressions - self.conversions, 0)


def thompson_allocate(
    arms: Sequence[ArmStats], *, size: int, rng: np.random.Generator
) -> np.ndarray:
    """The arms shown to the next `size` shoppers while the counts stay `arms`: for each, the
    index of the arm with the highest of one independent draw per arm from its Beta posterior
    (what `size` calls of thompson_choose return, in one vectorised draw). The storefront's
    counts are cached (selectors.ARM_STATS_CACHE_SECONDS), so every request in a cache period
    is one of these draws on the same counts."""
    if not arms:
        raise ValueError("no arms to choose from")
    if size < 1:
        raise ValueError("size must be at least 1")
    alpha = np.array([a.alpha for a in arms])
    beta = np.array([a.beta for a in arms])
    draws = rng.beta(alpha, beta, size=(size, len(arms)))
    return np.argmax(draws, axis=1)


def thompson_choose(arms: Sequence[ArmStats], *, rng: np.random.Generator) -> int:
    """The index of the arm with the highest draw from its Beta posterior."""
    return int(thompson_allocate(arms, size=1, rng=rng)[0])


HOUR = 3600.0


@dataclass(frozen=True)
class ConversionDelay:
    """The distribution of the time from an ad to the order that converts it, as its CDF at
    increasing ages (seconds); 0 before the first age, 1 from the last one (the attribution
    window: a later order is no conversion), linear in between."""

    ages_s: tuple[float, ...]
    cdf: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.ages_s) != len(self.cdf) or not self.ages_s:
            raise ValueError("ages_s and cdf must be non-empty and of one length")
        if np.any(np.diff(self.ages_s) <= 0) or np.any(np.diff(self.cdf) < 0):
            raise ValueError("ages must increase and the CDF must not decrease")

    @property
    def window_s(self) -> float:
        return self.ages_s[-1]

    def known_share(self, ages_s: np.ndarray | Sequence[float]) -> np.ndarray:
        """P(delay <= age): the share of an impression's conversions known at that age."""
        ages = np.asarray(ages_s, dtype=np.float64)
        return np.interp(ages, (0.0, *self.ages_s), (0.0, *self.cdf), left=0.0, right=1.0)


def _hour_grid(window_s: float) -> np.ndarray:
    return np.arange(1, int(np.ceil(window_s / HOUR)) + 1, dtype=np.float64) * HOUR


def conversion_delay_prior(*, window_s: float) -> ConversionDelay:
    """What is assumed before the store has its own delays: half of the orders within the
    visit (exponential, mean one hour), the other half over the following days (exponential,
    mean two days), both cut at the window."""
    ages = _hour_grid(window_s)

    def truncated(mean: float) -> np.ndarray:
        return (1 - np.exp(-ages / mean)) / (1 - np.exp(-window_s / mean))

    cdf = 0.5 * truncated(HOUR) + 0.5 * truncated(2 * 24 * HOUR)
    return ConversionDelay(tuple(ages), tuple(np.minimum(cdf, 1.0)))


def conversion_delay_estimate(
    delays_s: np.ndarray | Sequence[float],
    *,
    window_s: float,
    prior_weight: float = 50.0,
) -> ConversionDelay:
    """The delay CDF from observed delays of conversions whose whole window has passed (a
    recent click's slow order is not known yet, so recent ones would bias it short), blended
    with the prior as `prior_weight` pseudo-observations: (w * prior + n * empirical) / (w + n)."""
    prior = conversion_delay_prior(window_s=window_s)
    delays = np.sort(np.asarray(delays_s, dtype=np.float64))
    delays = delays[(delays >= 0) & (delays <= window_s)]
    if not len(delays):
        return prior
    ages = np.asarray(prior.ages_s)
    empirical = np.searchsorted(delays, ages, side="right") / len(delays)
    n = float(len(delays))
    cdf = (prior_weight * np.asarray(prior.cdf) + n * empirical) / (prior_weight + n)
    return ConversionDelay(prior.ages_s, tuple(np.minimum(np.maximum.accumulate(cdf), 1.0)))


def impressions_effective(
    *,
    impressions: np.ndarray | Sequence[int],
    recent_ages_s: np.ndarray | Sequence[float],
    recent_counts: np.ndarray | Sequence[Sequence[int]],
    delay: ConversionDelay,
) -> np.ndarray:
    """Per arm, the impressions whose conversions would be known by now: every impression
    counts 1, less (1 - known share at its age) for the recent ones (younger than the window).
    `impressions`: each arm's total; `recent_counts[arm][j]`: its impressions of age
    `recent_ages_s[j]` (e.g. per hour of showing, aged from the hour's middle)."""
    totals = np.asarray(impressions, dtype=np.float64)
    counts = np.asarray(recent_counts, dtype=np.float64).reshape(len(totals), -1)
    unknown = 1.0 - delay.known_share(recent_ages_s)
    return np.maximum(totals - counts @ unknown, 0.0)


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
