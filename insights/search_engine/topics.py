"""Search queries grouped by meaning into topics, with weekly volumes and the rising rule.

Normalisation: Unicode NFKC, lower case, runs of white space as one space, punctuation at the
ends stripped. Distinct normalised queries are embedded by the caller (one L2-normalised
encoder vector each) and grouped with average-linkage clustering on the cosine distance,
cut at `max_distance` (`cluster_engine.kmeans.cosine_threshold_groups`): paraphrases such as
"red dress" and "dresses in red" end up together, unrelated queries apart.

A topic's label is its most searched query (ties: the shorter, then the alphabetically
first). Its weekly volume is the sum of its queries' searches per week; weeks are the
7-day windows ending on the run's as-of day, oldest first, so the last one is "this week".

Rising rule: with t = this week's volume and m = the mean volume of the `baseline_weeks`
weeks before it (0 when there are none),

    growth = (t + 1) / (m + 1),    rising  <=>  t >= min_volume  and  growth >= ratio

(the +1 keeps a topic new this week from dividing by zero and a single search from counting
as a surge).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from insights.cluster_engine.kmeans import cosine_threshold_groups

_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = " \t\"'`.,;:!?()[]{}<>*_-+/\\|#"


def normalise_query(query: str) -> str:
    text = unicodedata.normalize("NFKC", query or "").lower()
    return _SPACES.sub(" ", text).strip(_EDGE_PUNCTUATION).strip()


@dataclass(frozen=True)
class RisingRule:
    baseline_weeks: int = 4
    ratio: float = 1.5
    min_volume: int = 3

    def __post_init__(self) -> None:
        if self.baseline_weeks < 1 or self.ratio <= 0 or self.min_volume < 0:
            raise ValueError("baseline_weeks >= 1, ratio > 0 and min_volume >= 0 are needed.")

    def measure(self, weekly: Sequence[int]) -> tuple[int, float, float, bool]:
        """(this week, baseline mean, growth, rising) of a weekly series, oldest first."""
        if not weekly:
            return 0, 0.0, 1.0, False
        this_week = int(weekly[-1])
        baseline = list(weekly[-1 - self.baseline_weeks : -1])
        mean = float(statistics.fmean(baseline)) if baseline else 0.0
        growth = (this_week + 1) / (mean + 1)
        return this_week, mean, growth, this_week >= self.min_volume and growth >= self.ratio

    def describe(self) -> str:
        return (
            f"rising when this week's searches t >= {self.min_volume} and "
            f"(t + 1) / (m + 1) >= {self.ratio:g}, m = mean of the {self.baseline_weeks} weeks "
            "before"
        )


@dataclass(frozen=True)
class Topic:
    label: str
    queries: list[tuple[str, int]]  # (query, searches), most searched first
    weekly: list[int]
    volume: int
    this_week: int
    baseline_mean: float
    growth: float
    rising: bool

    @property
    def distinct_queries(self) -> int:
        return len(self.queries)


def topics_group(
    queries: Sequence[str],
    embeddings: np.ndarray,
    weekly_counts: Mapping[str, Sequence[int]],
    *,
    max_distance: float,
    rule: RisingRule | None = None,
) -> list[Topic]:
    """Topics of `queries` (distinct, normalised; `embeddings[i]` is `queries[i]`'s), largest
    volume first. `weekly_counts[q]` are q's searches per week, oldest first, all one length."""
    rule = rule or RisingRule()
    if len(queries) != len(embeddings):
        raise ValueError("One embedding per query is needed.")
    if not queries:
        return []
    labels = cosine_threshold_groups(np.asarray(embeddings), max_distance=max_distance)
    weeks = len(next(iter(weekly_counts.values()))) if weekly_counts else 0
    members: dict[int, list[str]] = {}
    for query, label in zip(queries, labels, strict=True):
        members.setdefault(int(label), []).append(query)
    topics = []
    for group in members.values():
        counted = sorted(
            ((q, int(sum(weekly_counts.get(q, ())))) for q in group),
            key=lambda item: (-item[1], len(item[0]), item[0]),
        )
        weekly = [0] * weeks
        for query in group:
            for week, count in enumerate(weekly_counts.get(query, ())):
                weekly[week] += int(count)
        this_week, mean, growth, rising = rule.measure(weekly)
        topics.append(
            Topic(
                label=counted[0][0],
                queries=counted,
                weekly=weekly,
                volume=sum(count for _q, count in counted),
                this_week=this_week,
                baseline_mean=round(mean, 3),
                growth=round(growth, 3),
                rising=rising,
            )
        )
    topics.sort(key=lambda topic: (-topic.volume, topic.label))
    return topics
