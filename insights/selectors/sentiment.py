"""Reads of review sentiment: training labels, the champion model, distributions and trends.

A review's training label is the one staff set in the admin (ReviewLabelCorrection) when
there is one, else the rating's (1-2 negative, 3 neutral, 4-5 positive). Scores
(ReviewSentiment) are the champion model's output; each names the version that produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek

from insights.models import ReviewLabelCorrection, ReviewSentiment, Sentiment
from ml import selectors as ml_selectors
from ml.exceptions import AliasNotSet
from ml.models import Job, ModelAlias, ModelVersion
from ml.training.data import sentiment_from_rating
from ml.training.metrics import classification_report
from shop import selectors as shop_selectors

SENTIMENT_TASK = "sentiment"
LABELS: tuple[str, ...] = tuple(Sentiment.values)  # negative, neutral, positive
SCORE_JOB_KIND = "sentiment_score"
GROUPS = ("category", "product", "store")
PERIODS = {"week": TruncWeek, "month": TruncMonth}


# --- training labels ----------------------------------------------------------------------


def sentiment_label_from_rating(*, rating: int) -> str:
    """1-2 negative, 3 neutral, 4-5 positive."""
    return sentiment_from_rating(rating)


@dataclass(frozen=True)
class SentimentTrainingExamples:
    texts: list[str]
    labels: list[str]
    review_ids: list[int]
    corrected: int


def sentiment_training_examples(*, limit: int) -> SentimentTrainingExamples:
    """Text and label of at most `limit` reviews with text, for fine-tuning (three queries).

    The label is the staff correction where there is one, else the rating's. Corrected
    reviews come first, so a row limit never drops what staff labelled; then the others,
    oldest first.
    """
    corrections = dict(ReviewLabelCorrection.objects.values_list("review_id", "label"))
    corrected_rows = shop_selectors.review_texts_for_training(review_ids=corrections)[:limit]
    other_rows = [
        row
        for row in shop_selectors.review_texts_for_training(limit=limit + len(corrections))
        if row[0] not in corrections
    ][: limit - len(corrected_rows)]
    rows = corrected_rows + other_rows
    return SentimentTrainingExamples(
        texts=[text for _pk, text, _rating in rows],
        labels=[
            corrections.get(pk) or sentiment_label_from_rating(rating=rating)
            for pk, _text, rating in rows
        ],
        review_ids=[pk for pk, _text, _rating in rows],
        corrected=len(corrected_rows),
    )


def review_label_correction_list() -> QuerySet[ReviewLabelCorrection]:
    return ReviewLabelCorrection.objects.select_related(
        "review", "review__product", "corrected_by"
    ).order_by("-corrected_at", "-pk")


# --- the model ----------------------------------------------------------------------------


def sentiment_engine_load(path: Path, version: ModelVersion):
    """ModelCache loader of a sentiment version: an EncoderEngine on settings.ML_DEVICE that
    reads reviews up to the length the version was trained on.

    Everything that serves the sentiment champion loads it through this one function (the
    cache keeps one model per task and alias, whoever asked first).
    """
    from ml.serving import classifier_engine

    return classifier_engine(path, version)


def sentiment_champion() -> ModelVersion | None:
    alias = ml_selectors.alias_get(task=SENTIMENT_TASK, alias=ModelAlias.Name.CHAMPION)
    return alias.version if alias else None


def sentiment_version_get(*, version: int) -> ModelVersion:
    """Sentiment version number `version`; raises ModelVersion.DoesNotExist."""
    return ModelVersion.objects.get(task=SENTIMENT_TASK, version=version)


def sentiment_model_of_version(*, version: ModelVersion):
    """An EncoderEngine of this exact version, loaded from its verified artifact (not cached).

    Raises ArtifactIntegrityError when the artifact is missing or altered.
    """
    return sentiment_engine_load(ml_selectors.artifact_local_dir(version=version), version)


# --- scoring state ------------------------------------------------------------------------


def sentiment_scored_ids(*, version_id: int | None = None) -> QuerySet:
    """Ids of the reviews that have a score (by `version_id` only, when given), as a subquery."""
    scores = ReviewSentiment.objects.all()
    if version_id is not None:
        scores = scores.filter(model_version_id=version_id)
    return scores.values("review_id")


def sentiment_score_job_queued() -> bool:
    """Whether a queued `sentiment_score` job will score every unscored review when it starts."""
    queued = ml_selectors.job_list(status=Job.Status.QUEUED, kind=SCORE_JOB_KIND)
    return any(not params.get("review_ids") for params in queued.values_list("params", flat=True))


def sentiment_scoring_status() -> dict[str, Any]:
    """The champion and how many reviews its scores cover (three queries).

    {"champion": ModelVersion | None, "reviews": int (with a title or text), "by_champion":
    int, "by_other_versions": int, "unscored": int}.
    """
    champion = sentiment_champion()
    reviews = shop_selectors.review_count_for_scoring()
    scored = ReviewSentiment.objects.aggregate(
        total=Count("pk"),
        by_champion=Count("pk", filter=Q(model_version_id=champion.pk if champion else None)),
    )
    return {
        "champion": champion,
        "reviews": reviews,
        "by_champion": scored["by_champion"],
        "by_other_versions": scored["total"] - scored["by_champion"],
        "unscored": max(0, reviews - scored["total"]),
    }


# --- distributions ------------------------------------------------------------------------


def _distribution(counts: dict[str, int]) -> dict[str, Any]:
    total = sum(counts.get(label, 0) for label in LABELS)
    return {
        "total": total,
        "counts": {label: counts.get(label, 0) for label in LABELS},
        "shares": {
            label: round(counts.get(label, 0) / total, 4) if total else 0.0 for label in LABELS
        },
    }


def _label_counts() -> dict[str, Count]:
    return {label: Count("pk", filter=Q(label=label)) for label in LABELS}


def product_sentiment_distribution(*, product_id: int) -> dict[str, Any]:
    """The model's sentiment over the product's scored reviews (one query).

    {"total": int, "counts": {label: int}, "shares": {label: float}} for the labels
    negative, neutral, positive; shares are 0.0 when nothing is scored.
    """
    counts = ReviewSentiment.objects.filter(review__product_id=product_id).aggregate(
        **_label_counts()
    )
    return _distribution(counts)


def _optional_aspects_selector(name: str):
    from insights.selectors import aspects

    return getattr(aspects, name, None)


def product_sentiment_payload(product_id: int) -> dict[str, Any]:
    """Everything the product sentiment endpoint returns.

    {"product_id", "distribution" (see product_sentiment_distribution), "model_version"
    ({"id", "task", "version"} of the champion, or None), "aspects" (the aspects selector's
    product_aspect_breakdown, [] without it), "summary" (its product_summary, or None)}.
    """
    champion = sentiment_champion()
    breakdown = _optional_aspects_selector("product_aspect_breakdown")
    summary = _optional_aspects_selector("product_summary")
    return {
        "product_id": product_id,
        "distribution": product_sentiment_distribution(product_id=product_id),
        "model_version": (
            {"id": champion.pk, "task": champion.task, "version": champion.version}
            if champion
            else None
        ),
        "aspects": breakdown(product_id=product_id) if breakdown else [],
        "summary": summary(product_id=product_id) if summary else None,
    }


def sentiment_distribution_by_period(
    *,
    group: str = "category",
    period: str = "week",
    since: date | None = None,
    until: date | None = None,
    category_id: int | None = None,
) -> list[dict[str, Any]]:
    """Sentiment counts and shares per group and period of review creation (one query).

    `group` is category, product or store (everything together); `period` week or month
    (periods start on Monday / the 1st, in the current time zone); `since`/`until` bound
    the review's creation date (until exclusive); `category_id` keeps that category only.
    Each row: {"period_start": date, "category_id"/"category" or "product_id"/"product"
    (none for store), "total", "counts", "shares"}, ordered by group, then period.
    """
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}.")
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}.")
    scores = ReviewSentiment.objects.all()
    if since:
        scores = scores.filter(review__created_at__date__gte=since)
    if until:
        scores = scores.filter(review__created_at__date__lt=until)
    if category_id is not None:
        scores = scores.filter(review__product__category_id=category_id)
    keys: dict[str, Any] = {"period_start": PERIODS[period]("review__created_at")}
    if group == "category":
        keys |= {
            "category_id": F("review__product__category_id"),
            "category": F("review__product__category__name"),
        }
    elif group == "product":
        keys |= {"product_id": F("review__product_id"), "product": F("review__product__title")}
    order = [key for key in ("category", "category_id", "product", "product_id") if key in keys]
    rows = (
        scores.annotate(**keys)
        .values(*keys)
        .annotate(**_label_counts())
        .order_by(*order, "period_start")
    )
    results = []
    for row in rows:
        start = row.pop("period_start")
        counts = {label: row.pop(label) for label in LABELS}
        results.append(
            {"period_start": start.date() if hasattr(start, "date") else start, **row}
            | _distribution(counts)
        )
    return results


# --- evaluation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentEvaluation:
    """Scores of one version on labelled texts (see ml.training.metrics for the formulas)."""

    version: ModelVersion
    rows: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion_matrix: list[list[int]] = field(default_factory=list)
    labels: tuple[str, ...] = ()


def sentiment_evaluate(
    *, texts: Sequence[str], labels: Sequence[str], version: int | None = None
) -> SentimentEvaluation:
    """Accuracy, macro-F1 and per-class scores of the champion (or version number `version`).

    Raises AliasNotSet (no champion), ModelVersion.DoesNotExist (no such version),
    ArtifactIntegrityError (damaged artifact), ValueError (a label the model does not know).
    """
    from ml.serving import model_cache

    if version is None:
        try:
            served = model_cache.get(task=SENTIMENT_TASK, load=sentiment_engine_load)
        except AliasNotSet as exc:
            raise AliasNotSet(
                "No sentiment model is champion yet: fine-tune one and promote it."
            ) from exc
        model_version, engine = served.version, served.model
    else:
        model_version = sentiment_version_get(version=version)
        engine = sentiment_model_of_version(version=model_version)
    names = tuple(engine.label_names)
    unknown = sorted(set(labels) - set(names))
    if unknown:
        raise ValueError(
            f"Labels {unknown} are not among the model's labels {list(names)}; map them with "
            "--label-map."
        )
    predicted = engine.classify(list(texts)).labels
    index = {name: i for i, name in enumerate(names)}
    report = classification_report(
        [index[label] for label in labels], [index[label] for label in predicted], list(names)
    )
    return SentimentEvaluation(
        version=model_version,
        rows=len(texts),
        accuracy=report["accuracy"],
        macro_f1=report["macro_f1"],
        per_class=report["per_class"],
        confusion_matrix=report["confusion_matrix"],
        labels=names,
    )
