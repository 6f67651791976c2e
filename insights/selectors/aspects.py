"""Reads of aspects, trends, alerts and summaries.

Opinion labels: a review's label is its ReviewSentiment label when it was scored, else the one
its rating gives (1-2 negative, 3 neutral, 4-5 positive); an aspect opinion is an
AspectMention. Weeks start on Monday (TruncWeek) and are keyed by that Monday's date, in the
project's time zone, by the review's `created_at`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek

from insights.aspect_engine.alerts import SeriesCounts
from insights.aspect_engine.charts import weekly_row
from insights.aspect_engine.summaries import Evidence, summary_is_stale
from insights.models import Aspect, AspectMention, ProductReviewSummary, Sentiment, SentimentAlert
from shop import selectors as shop_selectors
from shop.models import Product, Review

NEGATIVE, NEUTRAL, POSITIVE = Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE
LABELS = (NEGATIVE, NEUTRAL, POSITIVE)
ASPECTS_EXTRACT_KIND = "aspects_extract"
EXAMPLES_PER_ASPECT = 2


def rating_label() -> Case:
    """The label a review's rating gives: 1-2 negative, 3 neutral, 4-5 positive."""
    return Case(
        When(rating__lte=2, then=Value(NEGATIVE)),
        When(rating=3, then=Value(NEUTRAL)),
        default=Value(POSITIVE),
        output_field=CharField(),
    )


def review_label(prefix: str = "") -> Coalesce:
    """A review's label: its sentiment score's, else its rating's (`prefix` reaches the review
    from another model, e.g. "review__")."""
    rating = Case(
        When(**{f"{prefix}rating__lte": 2}, then=Value(NEGATIVE)),
        When(**{f"{prefix}rating": 3}, then=Value(NEUTRAL)),
        default=Value(POSITIVE),
        output_field=CharField(),
    )
    return Coalesce(F(f"{prefix}sentiment__label"), rating, output_field=CharField())


def _week(field: str) -> TruncWeek:
    return TruncWeek(field, output_field=DateField())


def _category_filter(category_id: int | None, prefix: str) -> Q:
    if category_id is None:
        return Q()
    ids = shop_selectors.category_descendant_ids(category_id=category_id)
    return Q(**{f"{prefix}category_id__in": ids})


# --- aspects ------------------------------------------------------------------------------


def aspect_list(*, active_only: bool = False) -> QuerySet[Aspect]:
    aspects = Aspect.objects.all()
    if active_only:
        aspects = aspects.filter(is_active=True)
    return aspects.order_by("name", "pk")


def aspect_list_with_counts() -> QuerySet[Aspect]:
    """Every aspect with `mention_count`, `negative_count` and `positive_count` (one query)."""
    return aspect_list().annotate(
        mention_count=Count("mentions"),
        negative_count=Count("mentions", filter=Q(mentions__label=NEGATIVE)),
        positive_count=Count("mentions", filter=Q(mentions__label=POSITIVE)),
    )


def reviews_for_extraction(
    *,
    review_ids: Iterable[int] | None = None,
    after_review_id: int | None = None,
    without_mentions: bool = False,
    batch_size: int = 200,
) -> Iterator[list[dict[str, Any]]]:
    """Batches of {id, title, text, rating} in id order (keyset pagination, so rows written
    meanwhile never shift a page). Reviews without title and text are skipped."""
    reviews = Review.objects.exclude(text="", title="")
    if review_ids is not None:
        reviews = reviews.filter(pk__in=list(review_ids))
    if after_review_id is not None:
        reviews = reviews.filter(pk__gt=after_review_id)
    if without_mentions:
        reviews = reviews.filter(~Exists(AspectMention.objects.filter(review_id=OuterRef("pk"))))
    last = 0
    while True:
        batch = list(
            reviews.filter(pk__gt=last)
            .order_by("pk")
            .values("id", "title", "text", "rating")[:batch_size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]["id"]


def review_count_for_extraction(
    *,
    review_ids: Iterable[int] | None = None,
    after_review_id: int | None = None,
    without_mentions: bool = False,
) -> int:
    reviews = Review.objects.exclude(text="", title="")
    if review_ids is not None:
        reviews = reviews.filter(pk__in=list(review_ids))
    if after_review_id is not None:
        reviews = reviews.filter(pk__gt=after_review_id)
    if without_mentions:
        reviews = reviews.filter(~Exists(AspectMention.objects.filter(review_id=OuterRef("pk"))))
    return reviews.count()


def review_max_id() -> int:
    return Review.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def aspects_extract_examined_through() -> int | None:
    """The highest review id that an earlier `aspects_extract` run over pending reviews (or all
    reviews) examined, from the result of its latest successful job; None if none ran."""
    from ml.models import Job
    from ml.selectors import job_list

    for result in job_list(kind=ASPECTS_EXTRACT_KIND, status=Job.Status.SUCCEEDED).values_list(
        "result", flat=True
    )[:20]:
        if isinstance(result, dict) and result.get("examined_through_review_id") is not None:
            return int(result["examined_through_review_id"])
    return None


# --- trends -------------------------------------------------------------------------------


def sentiment_weekly(
    *,
    product_id: int | None = None,
    category_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict]:
    """Per week with reviews: {week, negative, neutral, positive, total, share_negative} of
    review labels, oldest first (one query; weeks without reviews are absent, see
    aspect_engine.charts.weeks_fill)."""
    reviews = Review.objects.filter(_category_filter(category_id, "product__"))
    if product_id is not None:
        reviews = reviews.filter(product_id=product_id)
    if since is not None:
        reviews = reviews.filter(created_at__gte=since)
    if until is not None:
        reviews = reviews.filter(created_at__lt=until)
    rows = (
        reviews.annotate(opinion=review_label(), week=_week("created_at"))
        .values("week")
        .annotate(**{label: Count("pk", filter=Q(opinion=label)) for label in LABELS})
        .order_by("week")
    )
    return [weekly_row(_as_date(r["week"]), r[NEGATIVE], r[NEUTRAL], r[POSITIVE]) for r in rows]


def aspect_weekly(
    *,
    aspect_id: int | None = None,
    product_id: int | None = None,
    category_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict]:
    """Like sentiment_weekly, over aspect opinions (AspectMention labels), optionally of one
    aspect; each row also has `aspect_id` when aspect_id is None (one row per aspect-week)."""
    mentions = AspectMention.objects.filter(_category_filter(category_id, "review__product__"))
    if aspect_id is not None:
        mentions = mentions.filter(aspect_id=aspect_id)
    if product_id is not None:
        mentions = mentions.filter(review__product_id=product_id)
    if since is not None:
        mentions = mentions.filter(review__created_at__gte=since)
    if until is not None:
        mentions = mentions.filter(review__created_at__lt=until)
    group = ["week"] if aspect_id is not None else ["aspect_id", "week"]
    rows = (
        mentions.annotate(week=_week("review__created_at"))
        .values(*group)
        .annotate(**{label: Count("pk", filter=Q(label=label)) for label in LABELS})
        .order_by(*group)
    )
    out = []
    for r in rows:
        row = weekly_row(_as_date(r["week"]), r[NEGATIVE], r[NEUTRAL], r[POSITIVE])
        if aspect_id is None:
            row["aspect_id"] = r["aspect_id"]
        out.append(row)
    return out


def aspect_breakdown(
    *,
    product_id: int | None = None,
    category_id: int | None = None,
    since: datetime | None = None,
) -> list[dict]:
    """Per aspect with opinions: {aspect_id, aspect, mentions, positive, neutral, negative,
    share_negative}, most mentioned first (one query)."""
    mentions = AspectMention.objects.filter(_category_filter(category_id, "review__product__"))
    if product_id is not None:
        mentions = mentions.filter(review__product_id=product_id)
    if since is not None:
        mentions = mentions.filter(review__created_at__gte=since)
    rows = (
        mentions.values("aspect_id", "aspect__name")
        .annotate(
            mentions=Count("pk"), **{label: Count("pk", filter=Q(label=label)) for label in LABELS}
        )
        .order_by("-mentions", "aspect__name")
    )
    return [
        {
            "aspect_id": r["aspect_id"],
            "aspect": r["aspect__name"],
            "mentions": r["mentions"],
            "positive": r[POSITIVE],
            "neutral": r[NEUTRAL],
            "negative": r[NEGATIVE],
            "share_negative": r[NEGATIVE] / r["mentions"] if r["mentions"] else 0.0,
        }
        for r in rows
    ]


def product_aspect_breakdown(*, product_id: int) -> list[dict]:
    """What reviews of the product say about each aspect, most mentioned first (two queries).

    Each item: {"aspect_id": int, "aspect": str, "mentions": int, "positive": int,
    "neutral": int, "negative": int, "share_negative": float (negative / mentions),
    "examples": [{"review_id": int, "sentence": str, "label": str}]} where examples are up to
    EXAMPLES_PER_ASPECT evidence sentences (the negative and the positive one most similar to
    the aspect). An empty list when no review of the product has an aspect opinion.
    """
    rows = aspect_breakdown(product_id=product_id)
    if not rows:
        return rows
    examples: dict[tuple[int, str], dict] = {}
    evidence = (
        AspectMention.objects.filter(review__product_id=product_id, label__in=[NEGATIVE, POSITIVE])
        .order_by("aspect_id", "label", "-similarity", "pk")
        .values("aspect_id", "label", "review_id", "sentence")
    )
    for mention in evidence:
        examples.setdefault((mention["aspect_id"], mention["label"]), mention)
    for row in rows:
        row["examples"] = [
            {"review_id": m["review_id"], "sentence": m["sentence"], "label": m["label"]}
            for label in (NEGATIVE, POSITIVE)
            if (m := examples.get((row["aspect_id"], label)))
        ][:EXAMPLES_PER_ASPECT]
    return rows


def product_sentiment_counts(*, product_id: int) -> dict[str, int]:
    """{negative, neutral, positive, total} of the product's review labels (one query)."""
    counts = (
        Review.objects.filter(product_id=product_id)
        .annotate(opinion=review_label())
        .aggregate(**{label: Count("pk", filter=Q(opinion=label)) for label in LABELS})
    )
    counts["total"] = sum(counts[label] for label in LABELS)
    return counts


def product_scored_share(*, product_id: int) -> float:
    """Share of the product's reviews that have a model sentiment score (not just a rating)."""
    counts = Review.objects.filter(product_id=product_id).aggregate(
        total=Count("pk"), scored=Count("sentiment")
    )
    return counts["scored"] / counts["total"] if counts["total"] else 0.0


# --- alerts -------------------------------------------------------------------------------


def negative_share_series(
    *, baseline_start: datetime, recent_start: datetime, end: datetime
) -> list[SeriesCounts]:
    """Opinion counts of every product and every product-aspect in the baseline window
    [baseline_start, recent_start) and the recent window [recent_start, end) (two queries).

    Product series count reviews by their label (key (product_id, None)). Product-aspect
    series count reviews with an opinion on the aspect (key (product_id, aspect_id)); a
    review with a negative opinion on the aspect counts as negative, once.
    """
    recent = Q(created_at__gte=recent_start)
    baseline = Q(created_at__lt=recent_start)
    products = (
        Review.objects.filter(created_at__gte=baseline_start, created_at__lt=end)
        .annotate(opinion=review_label())
        .values("product_id")
        .annotate(
            recent_negative=Count("pk", filter=recent & Q(opinion=NEGATIVE)),
            recent_total=Count("pk", filter=recent),
            baseline_negative=Count("pk", filter=baseline & Q(opinion=NEGATIVE)),
            baseline_total=Count("pk", filter=baseline),
        )
        .order_by("product_id")
    )
    series = [
        SeriesCounts(
            key=(row["product_id"], None),
            recent_negative=row["recent_negative"],
            recent_total=row["recent_total"],
            baseline_negative=row["baseline_negative"],
            baseline_total=row["baseline_total"],
        )
        for row in products
    ]
    recent_m = Q(review__created_at__gte=recent_start)
    baseline_m = Q(review__created_at__lt=recent_start)
    negative = Q(label=NEGATIVE)
    aspects = (
        AspectMention.objects.filter(
            review__created_at__gte=baseline_start, review__created_at__lt=end
        )
        .values("review__product_id", "aspect_id")
        .annotate(
            recent_negative=Count("review", distinct=True, filter=recent_m & negative),
            recent_total=Count("review", distinct=True, filter=recent_m),
            baseline_negative=Count("review", distinct=True, filter=baseline_m & negative),
            baseline_total=Count("review", distinct=True, filter=baseline_m),
        )
        .order_by("review__product_id", "aspect_id")
    )
    series.extend(
        SeriesCounts(
            key=(row["review__product_id"], row["aspect_id"]),
            recent_negative=row["recent_negative"],
            recent_total=row["recent_total"],
            baseline_negative=row["baseline_negative"],
            baseline_total=row["baseline_total"],
        )
        for row in aspects
    )
    return series


def alert_evidence(
    *, product_id: int, aspect_id: int | None, since: datetime, until: datetime, limit: int = 5
) -> list[dict]:
    """Up to `limit` negative evidence sentences of the series in [since, until), newest
    first: [{review_id, sentence}] (and `aspect` for a product alert). A product alert falls
    back to the first 200 characters of its negative reviews when they have no negative
    aspect opinions."""
    mentions = AspectMention.objects.filter(
        review__product_id=product_id,
        label=NEGATIVE,
        review__created_at__gte=since,
        review__created_at__lt=until,
    )
    if aspect_id is not None:
        mentions = mentions.filter(aspect_id=aspect_id)
    rows = list(
        mentions.order_by("-review__created_at", "-pk").values(
            "review_id", "sentence", "aspect__name"
        )[:limit]
    )
    if aspect_id is not None:
        return [{"review_id": r["review_id"], "sentence": r["sentence"]} for r in rows]
    if rows:
        return [
            {"review_id": r["review_id"], "sentence": r["sentence"], "aspect": r["aspect__name"]}
            for r in rows
        ]
    reviews = (
        Review.objects.filter(product_id=product_id, created_at__gte=since, created_at__lt=until)
        .annotate(opinion=review_label())
        .filter(opinion=NEGATIVE)
        .order_by("-created_at", "-pk")
        .values("pk", "title", "text")[:limit]
    )
    return [
        {"review_id": r["pk"], "sentence": (r["text"] or r["title"])[:200]}
        for r in reviews
        if r["text"] or r["title"]
    ]


def alert_keys_resolved_since(*, window_start: date) -> set[tuple[int, int | None]]:
    """(product_id, aspect_id) of alerts that staff acknowledged or dismissed and whose window
    reaches `window_start` or later: the check does not raise them again until its recent
    window no longer overlaps theirs."""
    return set(
        SentimentAlert.objects.filter(window_end__gte=window_start)
        .exclude(status=SentimentAlert.Status.OPEN)
        .values_list("product_id", "aspect_id")
    )


def alert_list(
    *, status: str | None = None, product_id: int | None = None
) -> QuerySet[SentimentAlert]:
    alerts = SentimentAlert.objects.select_related("product", "aspect", "resolved_by")
    if status:
        alerts = alerts.filter(status=status)
    if product_id is not None:
        alerts = alerts.filter(product_id=product_id)
    return alerts.order_by("-created_at", "-pk")


def alert_get(*, alert_id: int) -> SentimentAlert:
    """Raises SentimentAlert.DoesNotExist."""
    return alert_list().get(pk=alert_id)


def worst_trending_products(
    *, series: list[SeriesCounts], min_recent_total: int, min_baseline_total: int, limit: int = 10
) -> list[dict]:
    """Products (product-level series only) whose share negative rose most, with enough volume
    in both windows: [{product_id, sku, title, recent_negative, recent_total, recent_share,
    baseline_share, rise}], biggest rise first (one query for the products)."""
    eligible = [
        s
        for s in series
        if s.key[1] is None
        and s.recent_total >= min_recent_total
        and s.baseline_total >= min_baseline_total
        and s.rise > 0
    ]
    eligible.sort(key=lambda s: (-s.rise, -s.recent_total, s.key[0]))
    top = eligible[:limit]
    products = {
        p["pk"]: p
        for p in Product.objects.filter(pk__in=[s.key[0] for s in top]).values("pk", "sku", "title")
    }
    return [
        {
            "product_id": s.key[0],
            "sku": products.get(s.key[0], {}).get("sku", ""),
            "title": products.get(s.key[0], {}).get("title", ""),
            "recent_negative": s.recent_negative,
            "recent_total": s.recent_total,
            "recent_share": s.recent_share,
            "baseline_share": s.baseline_share,
            "rise": s.rise,
        }
        for s in top
    ]


# --- summaries ----------------------------------------------------------------------------


def product_summary(*, product_id: int) -> dict | None:
    """The product's review summary, or None when none was built (one query).

    {"pros": [point], "cons": [point], "text": str, "reviews_covered": int, "generator": str,
    "generated_at": datetime}, each point {"aspect": str, "text": str, "count": int (distinct
    reviews), "review_ids": [int], "evidence": [{"review_id": int, "sentence": str}],
    "source": "generated" | "extractive"}.
    """
    summary = ProductReviewSummary.objects.filter(product_id=product_id).first()
    if summary is None:
        return None
    return {
        "pros": summary.pros,
        "cons": summary.cons,
        "text": summary.text,
        "reviews_covered": summary.reviews_covered,
        "generator": summary.generator,
        "generated_at": summary.generated_at,
    }


def summary_evidence(*, product_id: int) -> list[Evidence]:
    """The product's positive and negative aspect opinions, as summary evidence."""
    rows = (
        AspectMention.objects.filter(review__product_id=product_id, label__in=[NEGATIVE, POSITIVE])
        .order_by("pk")
        .values_list("review_id", "aspect__name", "label", "sentence", "similarity")
    )
    return [Evidence(*row) for row in rows]


def product_review_count(*, product_id: int) -> int:
    return Review.objects.filter(product_id=product_id).count()


def products_needing_summary(
    *,
    min_new: int,
    min_growth: float,
    product_ids: Iterable[int] | None = None,
    limit: int | None = None,
) -> list[int]:
    """Ids of products with aspect opinions whose summary is missing or stale (see
    aspect_engine.summaries.summary_is_stale), the most reviewed first (one query)."""
    products = Product.objects.filter(
        Exists(AspectMention.objects.filter(review__product_id=OuterRef("pk")))
    )
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    rows = (
        products.annotate(reviews_now=Count("reviews"))
        .values_list("pk", "reviews_now", "review_summary__reviews_covered")
        .order_by("-reviews_now", "pk")
    )
    stale = [
        pk
        for pk, now, covered in rows
        if summary_is_stale(
            reviews_now=now, reviews_covered=covered, min_new=min_new, min_growth=min_growth
        )
    ]
    return stale[:limit] if limit else stale


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
