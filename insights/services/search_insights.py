"""Writes of search insights: one run over the last weeks of shoppers' searches, its topics
(grouped by meaning), its rising topics and its unmet demand.

The pure work lives in `insights.search_engine` (normalisation, topics, the rising rule and
the unmet-demand rule; see their docstrings). Here the searches and product texts are read
through the selectors, embedded with the configured base encoder
(`ml.serving.encoder_engine`), and the run with its topics is written in one transaction.
"""

from __future__ import annotations

import time as clock
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from insights.models import SearchInsightRun, SearchTopic
from insights.search_engine.topics import RisingRule, Topic, normalise_query, topics_group
from insights.search_engine.unmet import unmet_verdicts
from insights.selectors import search_insights as selectors
from ml import services as ml_services
from ml.models import Job

ProgressCallback = Callable[[float, str], None]
Embed = Callable[[Sequence[str]], np.ndarray]

WEEKS = 8
TOPIC_DISTANCE = 0.45
UNMET_THRESHOLD = 0.35
MAX_QUERIES = 5000
EXAMPLES = 10


def _no_progress(percent: float, message: str = "") -> None:
    return None


def _encoder_embed(texts: Sequence[str]) -> np.ndarray:
    from ml.serving import encoder_engine

    return encoder_engine().embed(list(texts))


@dataclass(frozen=True)
class SearchInsightsResult:
    run: SearchInsightRun
    topics: int
    unmet: int
    rising: int


def search_insights_compute(
    *,
    as_of: date | None = None,
    weeks: int = WEEKS,
    topic_distance: float = TOPIC_DISTANCE,
    unmet_threshold: float = UNMET_THRESHOLD,
    rule: RisingRule | None = None,
    max_queries: int = MAX_QUERIES,
    job_id: int | None = None,
    progress: ProgressCallback | None = None,
    embed: Embed | None = None,
) -> SearchInsightsResult:
    """Topics, rising topics and unmet demand of the searches in the `weeks` 7-day windows
    ending on `as_of` (default today; the last window is "this week").

    Distinct normalised queries (the `max_queries` most searched; the run's notes say when
    more were left out) are embedded once with the product texts, grouped into topics, and
    checked against the unmet-demand rule; unmet queries are grouped among themselves. Then,
    in one transaction, writes a SearchInsightRun and its SearchTopic rows. Earlier runs keep
    theirs. Raises ValueError on parameters outside their ranges.
    """
    rule = rule or RisingRule()
    if not 2 <= weeks <= 104:
        raise ValueError("weeks must lie in 2..104.")
    if not 0 < topic_distance < 2 or not -1 <= unmet_threshold <= 1:
        raise ValueError("topic_distance must lie in (0, 2) and unmet_threshold in [-1, 1].")
    progress = progress or _no_progress
    embed = embed or _encoder_embed
    started = clock.monotonic()
    as_of = as_of or timezone.localdate()
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    start = end - timedelta(days=7 * weeks)
    progress(1, f"Reading searches from {timezone.localdate(start)} to {as_of}")
    counts: dict[str, list[int]] = {}
    searches = 0
    for query, occurred_at in selectors.search_query_rows(start=start, end=end):
        normalised = normalise_query(query)
        if not normalised:
            continue
        week = min(weeks - 1, (occurred_at - start).days // 7)
        counts.setdefault(normalised, [0] * weeks)[week] += 1
        searches += 1
    volume = Counter({q: sum(weekly) for q, weekly in counts.items()})
    kept = [q for q, _n in sorted(volume.items(), key=lambda i: (-i[1], i[0]))[:max_queries]]
    notes = []
    if len(kept) < len(counts):
        notes.append(
            f"{len(counts) - len(kept)} rarer distinct queries left out (at most {max_queries})."
        )
    if not kept:
        notes.append("No searches with a query in these weeks.")
    products = selectors.product_search_texts()
    progress(10, f"Embedding {len(kept)} distinct queries and {len(products)} products")
    query_vectors = _embed(embed, kept)
    product_vectors = _embed(embed, products)
    progress(50, "Grouping queries into topics")
    topics = topics_group(kept, query_vectors, counts, max_distance=topic_distance, rule=rule)
    verdicts = unmet_verdicts(
        kept, query_vectors, products, product_vectors, threshold=unmet_threshold
    )
    unmet_rows = [i for i, verdict in enumerate(verdicts) if verdict.unmet]
    unmet_queries = [kept[i] for i in unmet_rows]
    unmet = topics_group(
        unmet_queries,
        query_vectors[unmet_rows] if unmet_rows else query_vectors[:0],
        {q: counts[q] for q in unmet_queries},
        max_distance=topic_distance,
        rule=rule,
    )
    similarity = {verdicts[i].query: verdicts[i].best_similarity for i in unmet_rows}
    weekly_unmet = [0] * weeks
    for query in unmet_queries:
        for week, count in enumerate(counts[query]):
            weekly_unmet[week] += count
    progress(80, f"Saving {len(topics)} topics and {len(unmet)} unmet groups")
    run = _run_save(
        as_of=as_of,
        job_id=job_id,
        weeks=weeks,
        start=start,
        params={
            "weeks": weeks,
            "topic_distance": topic_distance,
            "unmet_threshold": unmet_threshold,
            "rising": rule.describe(),
            "baseline_weeks": rule.baseline_weeks,
            "rising_ratio": rule.ratio,
            "rising_min_volume": rule.min_volume,
            "max_queries": max_queries,
        },
        searches=searches,
        distinct=len(counts),
        weekly_volume=[sum(counts[q][w] for q in counts) for w in range(weeks)],
        weekly_unmet=weekly_unmet,
        topics=topics,
        unmet=unmet,
        similarity=similarity,
        notes="\n".join(notes),
        seconds=clock.monotonic() - started,
    )
    progress(100, f"{len(topics)} topics, {len(unmet)} unmet groups from {searches} searches")
    return SearchInsightsResult(
        run=run,
        topics=len(topics),
        unmet=len(unmet),
        rising=sum(topic.rising for topic in topics),
    )


def _embed(embed: Embed, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, 1))
    return np.asarray(embed(texts), dtype=float)


def _topic_row(run: SearchInsightRun, kind: str, topic: Topic, similarity=None) -> SearchTopic:
    return SearchTopic(
        run=run,
        kind=kind,
        label=topic.label[:255],
        volume=topic.volume,
        distinct_queries=topic.distinct_queries,
        examples=[[query, count] for query, count in topic.queries[:EXAMPLES]],
        weekly=topic.weekly,
        this_week=topic.this_week,
        baseline_mean=topic.baseline_mean,
        growth=topic.growth,
        rising=topic.rising,
        best_similarity=similarity,
    )


@transaction.atomic
def _run_save(
    *,
    as_of: date,
    job_id: int | None,
    weeks: int,
    start: datetime,
    params: dict,
    searches: int,
    distinct: int,
    weekly_volume: list[int],
    weekly_unmet: list[int],
    topics: list[Topic],
    unmet: list[Topic],
    similarity: dict[str, float],
    notes: str,
    seconds: float,
) -> SearchInsightRun:
    run = SearchInsightRun.objects.create(
        as_of=as_of,
        job_id=job_id,
        weeks=weeks,
        params=params,
        searches=searches,
        distinct_queries=distinct,
        week_starts=[
            timezone.localdate(start + timedelta(days=7 * w)).isoformat() for w in range(weeks)
        ],
        weekly_volume=weekly_volume,
        weekly_unmet=weekly_unmet,
        notes=notes,
        seconds=round(seconds, 3),
        created_at=timezone.now(),
    )
    rows = [_topic_row(run, SearchTopic.Kind.TOPIC, topic) for topic in topics]
    rows += [
        _topic_row(
            run,
            SearchTopic.Kind.UNMET,
            topic,
            max(similarity.get(query, -1.0) for query, _n in topic.queries),
        )
        for topic in unmet
    ]
    SearchTopic.objects.bulk_create(rows, batch_size=1000)
    return run


def search_insights_submit(*, user=None, params: dict | None = None) -> Job:
    """Queue a `search_insights` job (enqueued after commit), or return the one waiting."""
    queued = selectors.search_job_queued()
    if queued is not None:
        return queued
    return ml_services.job_submit(
        kind=selectors.SEARCH_JOB_KIND, params=params or {}, created_by=user
    )
