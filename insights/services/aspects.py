"""Writes of aspects, alerts and summaries: extracting aspect opinions from reviews, checking
for rises in negative opinions, resolving alerts, and building review summaries.

The pure work (splitting, matching, the statistical rule, building and checking summary
points) lives in `insights.aspect_engine`; the models come from the registry (`ml.serving`)
and the packaged encoder and generator (`ml.training`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.api import ConflictError, NotFoundError
from insights.aspect_engine.alerts import AlertRule, alert_decisions
from insights.aspect_engine.matching import AspectMatcher, MatchConfig, aspect_definition
from insights.aspect_engine.sentences import split_opinion_units
from insights.aspect_engine.summaries import (
    GENERATED,
    SummaryConfig,
    SummaryPoint,
    phrasing_prompt,
    point_phrased,
    summary_points_build,
    summary_text,
)
from insights.models import Aspect, AspectMention, ProductReviewSummary, SentimentAlert
from insights.selectors import aspects as selectors

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
SENTIMENT_TASK = "sentiment"
SENTIMENT_FROM_MODEL, SENTIMENT_FROM_RATING = "model", "rating"


class AlertNotFound(NotFoundError):
    code = "alert_not_found"


class AlertNotOpen(ConflictError):
    code = "alert_not_open"


def _no_progress(percent: float, message: str = "") -> None:
    return None


# --- models -------------------------------------------------------------------------------


def encoder_engine():
    from ml.serving import encoder_engine as base_encoder

    return base_encoder()


@dataclass(frozen=True)
class SentenceSentiment:
    """Labels opinion units with the sentiment champion, or says why it cannot."""

    engine: Any
    version: Any
    unavailable_reason: str = ""

    @property
    def source(self) -> str:
        return SENTIMENT_FROM_MODEL if self.engine is not None else SENTIMENT_FROM_RATING

    def labels(self, texts: Sequence[str]) -> list[str]:
        return list(self.engine.classify(list(texts)).labels) if texts else []


def sentence_sentiment() -> SentenceSentiment:
    """The sentiment champion from the registry's cache, or a fallback to review ratings when
    no champion is set (or the first one cannot be loaded); the reason is kept."""
    from insights.selectors.sentiment import sentiment_engine_load
    from ml.exceptions import AliasNotSet
    from ml.serving import model_cache

    try:
        # The one loader of the sentiment champion, so the cache holds a single engine.
        served = model_cache.get(task=SENTIMENT_TASK, load=sentiment_engine_load)
    except AliasNotSet:
        return SentenceSentiment(None, None, "no sentiment champion")
    except Exception as exc:  # noqa: BLE001 - a broken first champion must not stop extraction
        logger.exception("sentiment champion could not be loaded; labelling by rating")
        return SentenceSentiment(None, None, f"sentiment champion unavailable: {exc}")
    if not hasattr(served.model, "classify"):
        return SentenceSentiment(None, None, "sentiment champion is not a classifier")
    return SentenceSentiment(served.model, served.version)


def _rating_label(rating: int) -> str:
    if rating <= 2:
        return "negative"
    return "neutral" if rating == 3 else "positive"


# --- extraction ---------------------------------------------------------------------------


def aspect_matcher(aspects: Sequence[Aspect], config: MatchConfig | None = None) -> AspectMatcher:
    """A matcher over `aspects` as staff defined them (their prototypes embedded now); its
    match indices are positions in `aspects`."""
    definitions = [
        aspect_definition(aspect.name, aspect.description, aspect.example_list)
        for aspect in aspects
    ]
    return AspectMatcher(definitions, encoder_engine().embed, config)


def aspect_mentions_extract(
    *,
    review_ids: Sequence[int] | None = None,
    rebuild: bool = False,
    batch_size: int = 200,
    match_config: MatchConfig | None = None,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    """Find the aspect opinions of reviews and store them as AspectMention rows.

    Which reviews: `review_ids` if given; every review if `rebuild`; otherwise the pending
    ones: reviews without mentions that no earlier run examined (id above the last run's
    `examined_through_review_id`). Each review's title and text are split into opinion units,
    matched to the active aspects, and each matched unit is labelled by the sentiment
    champion; without one, a unit takes the label of the review's rating and its mention has
    no model_version (the result says which source was used).

    Side effects: per batch of reviews, in one transaction, deletes their mentions and inserts
    the new ones (so re-running is idempotent). Loads the encoder and the champion once per
    process. Calls `progress` after each batch (which may raise JobCancelled).
    """
    examined_through = selectors.review_max_id()
    if review_ids is not None:
        scope: dict[str, Any] = {"review_ids": list(review_ids)}
        mode = "ids"
    elif rebuild:
        scope, mode = {}, "rebuild"
    else:
        scope = {
            "after_review_id": selectors.aspects_extract_examined_through(),
            "without_mentions": True,
        }
        mode = "pending"
    total = selectors.review_count_for_extraction(**scope)
    progress(1, f"Loading the encoder for {total} reviews")
    aspects = list(selectors.aspect_list(active_only=True))
    counts = {"reviews": 0, "units": 0, "mentions": 0}
    if not aspects:
        # Nothing is examined, so nothing is marked examined: a later run still sees them.
        return {**counts, "mode": mode, "aspects": 0, "sentiment_source": None}
    matcher = aspect_matcher(aspects, match_config)
    aspect_ids = [aspect.pk for aspect in aspects]
    sentiment = sentence_sentiment()
    for batch in selectors.reviews_for_extraction(batch_size=batch_size, **scope):
        mentions = _batch_mentions(batch, matcher, aspect_ids, sentiment, counts)
        with transaction.atomic():
            AspectMention.objects.filter(review_id__in=[r["id"] for r in batch]).delete()
            AspectMention.objects.bulk_create(mentions)
        counts["reviews"] += len(batch)
        counts["mentions"] += len(mentions)
        progress(
            2 + 97 * counts["reviews"] / max(total, 1),
            f"{counts['reviews']}/{total} reviews, {counts['mentions']} aspect opinions",
        )
    result: dict[str, Any] = {
        **counts,
        "mode": mode,
        "aspects": len(aspect_ids),
        "sentiment_source": sentiment.source,
        "sentiment_model_version": sentiment.version.pk if sentiment.version else None,
    }
    if sentiment.unavailable_reason:
        result["sentiment_fallback_reason"] = sentiment.unavailable_reason
    if mode != "ids":
        result["examined_through_review_id"] = examined_through
    return result


def _batch_mentions(
    batch: list[dict[str, Any]],
    matcher: AspectMatcher,
    aspect_ids: list[int],
    sentiment: SentenceSentiment,
    counts: dict[str, int],
) -> list[AspectMention]:
    owners: list[dict[str, Any]] = []
    texts: list[str] = []
    for review in batch:
        units = [
            unit.text
            for part in (review["title"], review["text"])
            for unit in split_opinion_units(part)
        ]
        for index, text in enumerate(units):
            owners.append({"review": review, "index": index})
            texts.append(text)
    counts["units"] += len(texts)
    matches = matcher.match(texts)
    matched = [i for i, found in enumerate(matches) if found]
    if sentiment.engine is not None:
        labels = dict(zip(matched, sentiment.labels([texts[i] for i in matched]), strict=True))
    else:
        labels = {i: _rating_label(owners[i]["review"]["rating"]) for i in matched}
    mentions = []
    for i in matched:
        for match in matches[i]:
            mentions.append(
                AspectMention(
                    review_id=owners[i]["review"]["id"],
                    aspect_id=aspect_ids[match.index],
                    sentence=texts[i],
                    sentence_index=min(owners[i]["index"], 32767),
                    label=labels[i],
                    similarity=round(match.similarity, 4),
                    model_version=sentiment.version,
                )
            )
    return mentions


# --- alerts -------------------------------------------------------------------------------


def alert_windows(*, as_of: date, rule: AlertRule) -> tuple[datetime, datetime, datetime]:
    """(baseline_start, recent_start, end): the recent window is the `recent_weeks` weeks that
    end with the day `as_of` (end = the midnight after it), the baseline the weeks before."""
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    recent_start = end - timedelta(weeks=rule.recent_weeks)
    return recent_start - timedelta(weeks=rule.baseline_weeks), recent_start, end


def sentiment_alerts_check(
    *, as_of: date | None = None, rule: AlertRule | None = None, progress: Progress = _no_progress
) -> dict[str, Any]:
    """Raise a SentimentAlert for every product and product-aspect whose share of negative
    opinions rose significantly in the recent window (insights.aspect_engine.alerts).

    An open alert of the same product and aspect is updated (counts, test, evidence) rather
    than duplicated; a series whose alert staff resolved is not raised again while the recent
    window still overlaps that alert's window.

    Side effects: creates or updates SentimentAlert rows, one transaction each.
    """
    rule = rule or AlertRule()
    as_of = as_of or timezone.localdate()
    baseline_start, recent_start, end = alert_windows(as_of=as_of, rule=rule)
    progress(5, "Counting opinions")
    series = selectors.negative_share_series(
        baseline_start=baseline_start, recent_start=recent_start, end=end
    )
    decisions = alert_decisions(series, rule)
    resolved = selectors.alert_keys_resolved_since(window_start=recent_start.date())
    firing = [d for d in decisions if d.fires]
    progress(50, f"{len(firing)} of {len(series)} series rose significantly")
    created = updated = suppressed = 0
    for decision in firing:
        product_id, aspect_id = decision.series.key
        if (product_id, aspect_id) in resolved:
            suppressed += 1
            continue
        was_created = _alert_upsert(
            decision=decision,
            rule=rule,
            window=(recent_start.date(), as_of),
            evidence=selectors.alert_evidence(
                product_id=product_id, aspect_id=aspect_id, since=recent_start, until=end
            ),
        )
        created += was_created
        updated += not was_created
    return {
        "as_of": as_of.isoformat(),
        "series": len(series),
        "tested": sum(d.p_value is not None for d in decisions),
        "significant": len(firing),
        "alerts_created": created,
        "alerts_updated": updated,
        "suppressed_resolved": suppressed,
        "test": rule.description,
    }


@transaction.atomic
def _alert_upsert(*, decision, rule: AlertRule, window: tuple[date, date], evidence) -> bool:
    counts = decision.series
    product_id, aspect_id = counts.key
    _alert, created = SentimentAlert.objects.update_or_create(
        product_id=product_id,
        aspect_id=aspect_id,
        status=SentimentAlert.Status.OPEN,
        defaults={
            "window_start": window[0],
            "window_end": window[1],
            "recent_negative": counts.recent_negative,
            "recent_total": counts.recent_total,
            "baseline_negative": counts.baseline_negative,
            "baseline_total": counts.baseline_total,
            "statistic": round(decision.odds_ratio, 6),
            "p_value": decision.p_value,
            "test": rule.description[:120],
            "evidence": evidence,
        },
    )
    return created


@transaction.atomic
def alert_resolve(*, alert_id: int, status: str, user=None) -> SentimentAlert:
    """Acknowledge or dismiss an open alert (`status`), recording who and when.

    Resolving an alert again with the status it already has changes nothing; an alert resolved
    the other way raises AlertNotOpen; an unknown id raises AlertNotFound. Locks the row.
    """
    if status not in (SentimentAlert.Status.ACKNOWLEDGED, SentimentAlert.Status.DISMISSED):
        raise ValueError(f"Cannot resolve an alert as {status!r}.")
    alert = SentimentAlert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise AlertNotFound(f"No sentiment alert {alert_id}.")
    if alert.status == status:
        return alert
    if alert.status != SentimentAlert.Status.OPEN:
        raise AlertNotOpen(f"Alert {alert_id} is already {alert.status}.")
    alert.status = status
    alert.resolved_by = user if getattr(user, "pk", None) else None
    alert.resolved_at = timezone.now()
    alert.save(update_fields=["status", "resolved_by", "resolved_at"])
    return alert


def alert_acknowledge(*, alert_id: int, user=None) -> SentimentAlert:
    return alert_resolve(alert_id=alert_id, status=SentimentAlert.Status.ACKNOWLEDGED, user=user)


def alert_dismiss(*, alert_id: int, user=None) -> SentimentAlert:
    return alert_resolve(alert_id=alert_id, status=SentimentAlert.Status.DISMISSED, user=user)


# --- summaries ----------------------------------------------------------------------------

# Phrases points: takes points, returns one generated text per point (or None to skip one).
Phraser = Callable[[Sequence[SummaryPoint]], list[str | None]]


@dataclass(frozen=True)
class GeneratorPhraser:
    """Phrases summary points with the generator: greedy, seeded, one short line each."""

    engine: Any
    max_new_tokens: int = 24
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{self.engine.source} (greedy, seed {self.seed}, <= {self.max_new_tokens} tokens)"

    def __call__(self, points: Sequence[SummaryPoint]) -> list[str | None]:
        from ml.training.inference import GenerationParams

        params = GenerationParams(
            max_new_tokens=self.max_new_tokens,
            do_sample=False,
            temperature=0.0,
            seed=self.seed,
            stop=("\n",),
            batch_size=4,
            max_input_tokens=512,
        )
        return list(self.engine.generate([phrasing_prompt(point) for point in points], params))


@functools.lru_cache(maxsize=1)
def _generator_engine(source: str, cache_dir: str, device: str):
    from ml.training.inference import GeneratorEngine
    from ml.training.loading import generator_prepare

    return GeneratorEngine(generator_prepare(source, cache_dir), device=device)


def generator_phraser() -> GeneratorPhraser:
    """The configured generator (settings.ML_GENERATOR, converted once into ML_CACHE_DIR),
    loaded once per process. Raises ModelLoadError when it cannot be loaded."""
    engine = _generator_engine(
        str(settings.ML_GENERATOR), str(settings.ML_CACHE_DIR), str(settings.ML_DEVICE)
    )
    return GeneratorPhraser(engine)


def product_summary_build(
    *,
    product_id: int,
    phraser: Phraser | None = None,
    phraser_label: str = "",
    config: SummaryConfig | None = None,
) -> ProductReviewSummary:
    """Build and store the product's summary from its aspect evidence.

    Points (with counts and review ids) come from the evidence alone; `phraser`, if given,
    proposes a phrasing per point, kept only when it traces back to the point's evidence
    (aspect_engine.summaries.phrasing_traces), else the point keeps its extractive quote.

    Side effects: creates or replaces the product's ProductReviewSummary.
    """
    pros, cons = summary_points_build(selectors.summary_evidence(product_id=product_id), config)
    points = pros + cons
    if phraser is not None and points:
        proposals = phraser(points)
        points = [point_phrased(p, g) for p, g in zip(points, proposals, strict=True)]
        pros, cons = points[: len(pros)], points[len(pros) :]
    generated = sum(point.source == GENERATED for point in points)
    generator = f"{phraser_label}; {generated}/{len(points)} points generated" if phraser else ""
    summary, _ = ProductReviewSummary.objects.update_or_create(
        product_id=product_id,
        defaults={
            "pros": [p.as_dict() for p in pros],
            "cons": [p.as_dict() for p in cons],
            "text": summary_text(pros, cons),
            "reviews_covered": selectors.product_review_count(product_id=product_id),
            "generator": (generator or "extractive")[:255],
            "generated_at": timezone.now(),
        },
    )
    return summary


def review_summaries_build(
    *,
    product_ids: Sequence[int] | None = None,
    force: bool = False,
    use_generator: bool = True,
    min_new_reviews: int = 10,
    min_growth: float = 0.2,
    max_products: int = 100,
    config: SummaryConfig | None = None,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    """(Re)build the summaries of products that need one: no summary yet, or at least
    `min_new_reviews` new reviews or `min_growth` more reviews since the last one (all of
    `product_ids` when `force`). At most `max_products`, the most reviewed first.

    With `use_generator`, points are phrased by the generator (see product_summary_build); if
    it cannot be loaded, summaries are extractive and the result says why.
    Side effects: writes ProductReviewSummary rows; may load the generator (once per process).
    """
    if force and product_ids is not None:
        todo = list(dict.fromkeys(product_ids))[:max_products]
    else:
        todo = selectors.products_needing_summary(
            min_new=min_new_reviews,
            min_growth=min_growth,
            product_ids=product_ids,
            limit=max_products,
        )
    result: dict[str, Any] = {"products": len(todo), "points": 0, "generated_points": 0}
    phraser: GeneratorPhraser | None = None
    if use_generator and todo:
        progress(2, "Loading the generator")
        try:
            phraser = generator_phraser()
        except Exception as exc:  # noqa: BLE001 - extractive summaries are still correct
            logger.exception("generator unavailable; summaries will be extractive")
            result["generator_unavailable"] = str(exc)[:500]
    for done, product_id in enumerate(todo, start=1):
        summary = product_summary_build(
            product_id=product_id,
            phraser=phraser,
            phraser_label=phraser.label if phraser else "",
            config=config,
        )
        points = summary.pros + summary.cons
        result["points"] += len(points)
        result["generated_points"] += sum(p.get("source") == GENERATED for p in points)
        progress(5 + 94 * done / len(todo), f"{done}/{len(todo)} products summarised")
    return result
