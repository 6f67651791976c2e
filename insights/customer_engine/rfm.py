"""RFM: recency, frequency and monetary value per customer, quintile scores and named segments.

Measures, for one customer as of a date `as_of` (orders after `as_of` are ignored):

    recency   R_raw = (as_of - date of the last order).days      (lower is better)
    frequency F_raw = number of orders                           (higher is better)
    monetary  M_raw = total value of the orders                  (higher is better)

Scores. Each measure is scored 1-5 against the whole population being scored (quintiles):

    score(v) = 1 + floor(5 * #{customers whose value is strictly worse than v} / n)

i.e. 1 + floor(5 * the "strict" percentile rank of v). Every distinct value in the bottom
fifth scores 1, the next fifth 2, and so on; with n distinct values this is exactly the
quintile split. Ties are never split: customers with equal values always get equal scores
(the bottom tie group scores 1, so one-time buyers get F = 1 whatever their share), and a
large tie group can leave a score unused. This is deterministic and independent of input
order, where `pandas.qcut(x.rank(method="first"))`, the common recipe, breaks ties by row
order.

Segments. The segment map is the standard recency x frequency grid of RFM practice: the
ten-cell map over the two-digit "RF" score (the regular-expression `seg_map` of many open
RFM implementations: Champions R5 F4-5; Loyal customers R3-4 F4-5; Potential loyalists R4-5
F2-3; New customers R5 F1; Promising R4 F1; Need attention R3 F3; About to sleep R3 F1-2;
At risk R1-2 F3-4; Can't lose them R1-2 F5; Hibernating R1-2 F1-2), with segment names and
meanings as in the usual RFM segment tables (Putler's, or the example map of the CRAN `rfm`
package's `rfm_segment`, which uses most of these names on overlapping R/F/M boxes). The grid
uses M only for reporting, because F and M are strongly correlated, and unlike box maps it
gives every (R, F) cell exactly one segment. The product names seven segments (issue 8), so
the ten cells are merged into them:

    Champions            R 5,   F 4-5   (grid: Champions)
    Loyal                R 3-4, F 4-5   (grid: Loyal customers)
    Potential loyalists  R 4-5, F 2-3   (grid: Potential loyalists)
    New                  R 4-5, F 1     (grid: New customers + Promising)
    At risk              R 1-2, F 3-5   (grid: At risk + Can't lose them)
    Hibernating          R 2-3, F 1-2 and R 3, F 3 (grid: About to sleep, Need attention and
                                          the R2 half of Hibernating)
    Lost                 R 1,   F 1-2   (grid: the R1 half of Hibernating: the longest gone
                                          and least engaged)

The rules partition the 25 (R, F) cells, so every customer gets exactly one segment; each rule
is data (`SegmentRule`: ranges, a readable `rule` string, a `matches` predicate) so that the
admin can show it, and `rfm_scores` takes another rule list where a store wants its own map
(the first matching rule wins; a customer no rule matches gets segment "").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from insights.customer_engine.transactions import as_date, normalise_rows

SCORE_LEVELS = 5


@dataclass(frozen=True)
class RfmMeasures:
    """The raw measures of one customer (see module docstring)."""

    customer_id: Hashable
    recency_days: int
    frequency: int
    monetary: float


@dataclass(frozen=True)
class SegmentRule:
    """One named segment: inclusive score ranges for R, F and M, and what it means."""

    key: str
    name: str
    recency: tuple[tuple[int, int], ...]
    frequency: tuple[tuple[int, int], ...]
    description: str
    monetary: tuple[int, int] = (1, SCORE_LEVELS)

    def matches(self, r: int, f: int, m: int) -> bool:
        """The rule's predicate: does the score triple (r, f, m) belong to this segment?

        `recency[i]` and `frequency[i]` are paired: the segment is the union over i of the
        boxes R in recency[i] and F in frequency[i], all with M in `monetary`.
        """
        low_m, high_m = self.monetary
        if not low_m <= m <= high_m:
            return False
        return any(
            r_low <= r <= r_high and f_low <= f <= f_high
            for (r_low, r_high), (f_low, f_high) in zip(self.recency, self.frequency, strict=True)
        )

    @property
    def rule(self) -> str:
        """The rule in words for the admin, e.g. "R 4-5 and F 2-3"."""
        boxes = [
            f"R {_span(r)} and F {_span(f)}"
            for r, f in zip(self.recency, self.frequency, strict=True)
        ]
        text = " or ".join(f"({box})" if len(boxes) > 1 else box for box in boxes)
        if self.monetary != (1, SCORE_LEVELS):
            text = f"{text}, M {_span(self.monetary)}"
        return text


def _span(bounds: tuple[int, int]) -> str:
    low, high = bounds
    return str(low) if low == high else f"{low}-{high}"


#: The default segment map (module docstring), in priority order.
SEGMENT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule(
        "champions",
        "Champions",
        recency=((5, 5),),
        frequency=((4, 5),),
        description="Bought very recently and buy most often.",
    ),
    SegmentRule(
        "loyal",
        "Loyal",
        recency=((3, 4),),
        frequency=((4, 5),),
        description="Buy often and fairly recently.",
    ),
    SegmentRule(
        "potential_loyalists",
        "Potential loyalists",
        recency=((4, 5),),
        frequency=((2, 3),),
        description="Recent customers with a few orders: could become loyal.",
    ),
    SegmentRule(
        "new",
        "New",
        recency=((4, 5),),
        frequency=((1, 1),),
        description="Recent first (or only) order.",
    ),
    SegmentRule(
        "at_risk",
        "At risk",
        recency=((1, 2),),
        frequency=((3, 5),),
        description="Bought often, but not for a long time.",
    ),
    SegmentRule(
        "hibernating",
        "Hibernating",
        recency=((2, 3), (3, 3)),
        frequency=((1, 2), (3, 3)),
        description="Few orders, and the last one a while ago.",
    ),
    SegmentRule(
        "lost",
        "Lost",
        recency=((1, 1),),
        frequency=((1, 2),),
        description="Few orders, the last one longest ago.",
    ),
)


@dataclass(frozen=True)
class RfmScore:
    """A customer's measures, scores 1-5 and segment (`segment` is the rule's key)."""

    customer_id: Hashable
    recency_days: int
    frequency: int
    monetary: float
    r: int
    f: int
    m: int
    segment: str

    @property
    def cell(self) -> str:
        """The conventional three-digit RFM cell, e.g. "545"."""
        return f"{self.r}{self.f}{self.m}"


def rfm_measures(rows: Iterable[Any], *, as_of: dt.date) -> list[RfmMeasures]:
    """Recency, frequency and monetary value per customer from (customer_id, when, amount) rows.

    One row is one order (see `transactions`); rows dated after `as_of` are ignored, and a
    customer without an order up to `as_of` is left out. Customers come in order of first
    appearance in `rows`.
    """
    as_of = as_date(as_of)
    last: dict[Hashable, dt.date] = {}
    count: dict[Hashable, int] = {}
    total: dict[Hashable, float] = {}
    for customer_id, day, amount in normalise_rows(rows):
        if day > as_of:
            continue
        if customer_id not in last or day > last[customer_id]:
            last[customer_id] = day
        count[customer_id] = count.get(customer_id, 0) + 1
        total[customer_id] = total.get(customer_id, 0.0) + amount
    return [
        RfmMeasures(customer, (as_of - day).days, count[customer], total[customer])
        for customer, day in last.items()
    ]


def quintile_scores(values: Sequence[float], *, higher_is_better: bool = True) -> list[int]:
    """Scores 1-5: 1 + floor(5 * #{values strictly worse than v} / n) (see module docstring).

    With `higher_is_better=False` (recency in days) smaller values are better.
    """
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError("values must be one-dimensional.")
    if np.isnan(array).any():
        raise ValueError("values must not contain NaN.")
    n = len(array)
    if n == 0:
        return []
    keys = array if higher_is_better else -array
    worse = np.searchsorted(np.sort(keys), keys, side="left")
    return [int(1 + (SCORE_LEVELS * w) // n) for w in worse]


def segment_for(
    r: int, f: int, m: int, rules: Sequence[SegmentRule] = SEGMENT_RULES
) -> SegmentRule | None:
    """The first rule in `rules` whose predicate holds for (r, f, m), or None."""
    for rule in rules:
        if rule.matches(r, f, m):
            return rule
    return None


def rfm_scores(
    measures: Sequence[RfmMeasures], *, rules: Sequence[SegmentRule] = SEGMENT_RULES
) -> list[RfmScore]:
    """Scores and segments of every customer, scored against all of `measures`, in input order."""
    r_scores = quintile_scores([m.recency_days for m in measures], higher_is_better=False)
    f_scores = quintile_scores([m.frequency for m in measures])
    m_scores = quintile_scores([m.monetary for m in measures])
    scores = []
    for measure, r, f, m in zip(measures, r_scores, f_scores, m_scores, strict=True):
        rule = segment_for(r, f, m, rules)
        scores.append(
            RfmScore(
                measure.customer_id,
                measure.recency_days,
                measure.frequency,
                measure.monetary,
                r,
                f,
                m,
                rule.key if rule else "",
            )
        )
    return scores


def rfm_from_transactions(
    rows: Iterable[Any], *, as_of: dt.date, rules: Sequence[SegmentRule] = SEGMENT_RULES
) -> list[RfmScore]:
    """`rfm_scores(rfm_measures(rows, as_of=as_of))`: scores and segments straight from orders."""
    return rfm_scores(rfm_measures(rows, as_of=as_of), rules=rules)
