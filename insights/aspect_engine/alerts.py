"""When has the share of negative opinions risen significantly above its own history?

For one series (a product, or one aspect of a product) the opinions of a recent window (the
last `recent_weeks` weeks) are compared with those of the baseline window just before it (the
`baseline_weeks` weeks before). With

    a = negative opinions in the recent window,    n1 = all opinions in the recent window
    c = negative opinions in the baseline window,  n2 = all opinions in the baseline window

the null hypothesis is that both windows share one negative rate; the alternative is that the
recent rate is higher. The test is the one-sided Fisher exact test on the 2x2 table
[[a, n1 - a], [c, n2 - c]]: conditioning on the margins, the number of recent negatives X is
hypergeometric, and

    p = P(X >= a) = sum_{x=a}^{min(n1, K)} C(K, x) C(N - K, n1 - x) / C(N, n1),
        K = a + c, N = n1 + n2.

It is exact at any volume, where a z-test's normal approximation is not. The reported
statistic is the sample odds ratio with the Haldane-Anscombe correction (0.5 added to every
cell, so it stays finite): OR = ((a + .5)(n2 - c + .5)) / ((n1 - a + .5)(c + .5)).

A series raises an alert only when all of these hold:
1. volume: n1 >= min_recent_total and n2 >= min_baseline_total (too few opinions say nothing);
2. size: the rise a/n1 - c/n2 >= min_rise (a tiny rise on a huge volume is significant but not
   worth anyone's time);
3. significance: p is significant at level `alpha` after the Benjamini-Hochberg procedure
   over every series that passed the volume check in the same run, which keeps the expected
   share of false alarms among the alerts of a nightly run below `alpha` however many products
   and aspects are checked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlertRule:
    recent_weeks: int = 4
    baseline_weeks: int = 26
    alpha: float = 0.01
    min_recent_total: int = 10
    min_baseline_total: int = 20
    min_rise: float = 0.15

    def __post_init__(self) -> None:
        if self.recent_weeks < 1 or self.baseline_weeks < 1:
            raise ValueError("recent_weeks and baseline_weeks must be at least 1.")
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must lie in (0, 1).")
        if self.min_recent_total < 1 or self.min_baseline_total < 1:
            raise ValueError("Minimum volumes must be at least 1.")
        if not 0 <= self.min_rise < 1:
            raise ValueError("min_rise must lie in [0, 1).")

    @property
    def description(self) -> str:
        """The test as stored on each alert (`SentimentAlert.test`, at most 120 characters)."""
        return (
            f"Fisher exact, one-sided, BH alpha={self.alpha:g}; last {self.recent_weeks} wk vs "
            f"prior {self.baseline_weeks} wk; n>={self.min_recent_total}/"
            f"{self.min_baseline_total}; rise>={self.min_rise:g}"
        )

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> AlertRule:
        names = cls.__dataclass_fields__
        return cls(**{key: value for key, value in params.items() if key in names})


@dataclass(frozen=True)
class SeriesCounts:
    """Opinion counts of one series in the two windows; `key` identifies the series."""

    key: Any
    recent_negative: int
    recent_total: int
    baseline_negative: int
    baseline_total: int

    def __post_init__(self) -> None:
        if not 0 <= self.recent_negative <= self.recent_total:
            raise ValueError(f"{self.key}: need 0 <= recent_negative <= recent_total.")
        if not 0 <= self.baseline_negative <= self.baseline_total:
            raise ValueError(f"{self.key}: need 0 <= baseline_negative <= baseline_total.")

    @property
    def recent_share(self) -> float:
        return self.recent_negative / self.recent_total if self.recent_total else 0.0

    @property
    def baseline_share(self) -> float:
        return self.baseline_negative / self.baseline_total if self.baseline_total else 0.0

    @property
    def rise(self) -> float:
        return self.recent_share - self.baseline_share


@dataclass(frozen=True)
class AlertDecision:
    """The outcome for one series: `fires`, and `reason` when it does not."""

    series: SeriesCounts
    fires: bool
    reason: str
    p_value: float | None
    odds_ratio: float | None


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided p-value P(X >= a) of Fisher's exact test on [[a, b], [c, d]] (see module).

    X is hypergeometric: row totals n1 = a + b, n2 = c + d, column total K = a + c.
    """
    if min(a, b, c, d) < 0:
        raise ValueError("Table cells must be non-negative.")
    n1, k, n = a + b, a + c, a + b + c + d
    if n == 0:
        return 1.0
    low, high = max(0, n1 - (n - k)), min(n1, k)
    if a <= low:
        return 1.0
    log_total = _log_comb(n, n1)
    terms = [_log_comb(k, x) + _log_comb(n - k, n1 - x) - log_total for x in range(a, high + 1)]
    peak = max(terms)
    p = math.exp(peak) * sum(math.exp(term - peak) for term in terms)
    return min(1.0, p)


def odds_ratio_corrected(a: int, b: int, c: int, d: int) -> float:
    """Haldane-Anscombe corrected odds ratio ((a + .5)(d + .5)) / ((b + .5)(c + .5))."""
    return ((a + 0.5) * (d + 0.5)) / ((b + 0.5) * (c + 0.5))


def benjamini_hochberg(p_values: Sequence[float], q: float) -> list[bool]:
    """Which hypotheses the Benjamini-Hochberg step-up procedure rejects at FDR level q.

    With the m p-values sorted ascending, p_(1) <= ... <= p_(m), find the largest k with
    p_(k) <= k q / m and reject the hypotheses of p_(1) .. p_(k).
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    cutoff = 0
    for rank, index in enumerate(order, start=1):
        if p_values[index] <= rank * q / m:
            cutoff = rank
    rejected = [False] * m
    for index in order[:cutoff]:
        rejected[index] = True
    return rejected


def alert_decisions(series: Sequence[SeriesCounts], rule: AlertRule) -> list[AlertDecision]:
    """The rule of the module docstring applied to every series of one run, in input order."""
    tested: list[int] = []
    p_values: list[float] = []
    stats: dict[int, tuple[float, float]] = {}
    for index, counts in enumerate(series):
        if (
            counts.recent_total >= rule.min_recent_total
            and counts.baseline_total >= rule.min_baseline_total
        ):
            table = (
                counts.recent_negative,
                counts.recent_total - counts.recent_negative,
                counts.baseline_negative,
                counts.baseline_total - counts.baseline_negative,
            )
            p = fisher_exact_greater(*table)
            stats[index] = (p, odds_ratio_corrected(*table))
            tested.append(index)
            p_values.append(p)
    significant = dict(zip(tested, benjamini_hochberg(p_values, rule.alpha), strict=True))
    decisions = []
    for index, counts in enumerate(series):
        p, odds = stats.get(index, (None, None))
        if index not in stats:
            fires, reason = False, "low volume"
        elif counts.rise < rule.min_rise:
            fires, reason = False, "rise below minimum"
        elif not significant[index]:
            fires, reason = False, "not significant"
        else:
            fires, reason = True, ""
        decisions.append(AlertDecision(counts, fires, reason, p, odds))
    return decisions
