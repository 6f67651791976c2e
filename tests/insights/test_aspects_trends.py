"""Trends: weekly sentiment and aspect opinions per product, category and aspect."""

from datetime import UTC, date, datetime

import pytest

from insights.models import Aspect, AspectMention, ReviewSentiment
from insights.selectors import aspects as selectors
from ml.models import ModelVersion
from tests.factories.shop import CategoryFactory, ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def on(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def mention(review, aspect_name, label, sentence="s", index=0, similarity=0.7):
    return AspectMention.objects.create(
        review=review,
        aspect=Aspect.objects.get(name=aspect_name),
        sentence=sentence,
        sentence_index=index,
        label=label,
        similarity=similarity,
    )


def test_weekly_sentiment_counts_labels_per_monday_week():
    product = ProductFactory()
    # Wednesday and Sunday of one week, Monday of the next.
    ReviewFactory(product=product, rating=1, created_at=on(date(2026, 3, 4)))
    ReviewFactory(product=product, rating=5, created_at=on(date(2026, 3, 8), hour=23))
    ReviewFactory(product=product, rating=3, created_at=on(date(2026, 3, 9), hour=0))
    ReviewFactory(rating=1, created_at=on(date(2026, 3, 4)))  # another product

    rows = selectors.sentiment_weekly(product_id=product.pk)

    assert rows == [
        {
            "week": date(2026, 3, 2),
            "negative": 1,
            "neutral": 0,
            "positive": 1,
            "total": 2,
            "share_negative": 0.5,
        },
        {
            "week": date(2026, 3, 9),
            "negative": 0,
            "neutral": 1,
            "positive": 0,
            "total": 1,
            "share_negative": 0.0,
        },
    ]


def test_a_model_score_overrides_the_rating_label():
    review = ReviewFactory(rating=5, created_at=on(date(2026, 3, 4)))
    version = ModelVersion.objects.create(
        task="sentiment", version=1, base_model="x", artifact_path="x", sha256="0" * 64
    )
    ReviewSentiment.objects.create(
        review=review, label="negative", model_version=version, scored_at=review.created_at
    )

    [row] = selectors.sentiment_weekly(product_id=review.product_id)

    assert (row["negative"], row["positive"]) == (1, 0)


def test_weekly_sentiment_of_a_category_includes_its_subcategories():
    dresses = CategoryFactory(name="Dresses")
    maxi = CategoryFactory(name="Maxi", parent=dresses)
    ReviewFactory(product=ProductFactory(category=maxi), created_at=on(date(2026, 3, 4)))
    ReviewFactory(product=ProductFactory(category=dresses), created_at=on(date(2026, 3, 4)))
    ReviewFactory(product=ProductFactory(), created_at=on(date(2026, 3, 4)))

    [row] = selectors.sentiment_weekly(category_id=dresses.pk)

    assert row["total"] == 2


def test_weekly_aspect_opinions_per_aspect_and_for_one_aspect():
    product = ProductFactory()
    first = ReviewFactory(product=product, created_at=on(date(2026, 3, 4)))
    second = ReviewFactory(product=product, created_at=on(date(2026, 3, 11)))
    mention(first, "fit/size", "negative")
    mention(first, "colour", "positive", index=1)
    mention(second, "fit/size", "negative")
    fit = Aspect.objects.get(name="fit/size")

    per_aspect = selectors.aspect_weekly(product_id=product.pk)
    one = selectors.aspect_weekly(aspect_id=fit.pk)

    assert [
        (r["aspect_id"], r["week"], r["negative"], r["positive"]) for r in per_aspect
    ] == sorted(
        [
            (fit.pk, date(2026, 3, 2), 1, 0),
            (fit.pk, date(2026, 3, 9), 1, 0),
            (Aspect.objects.get(name="colour").pk, date(2026, 3, 2), 0, 1),
        ]
    )
    assert [(r["week"], r["share_negative"]) for r in one] == [
        (date(2026, 3, 2), 1.0),
        (date(2026, 3, 9), 1.0),
    ]


def test_the_product_aspect_breakdown_counts_opinions_with_evidence(django_assert_num_queries):
    product = ProductFactory()
    reviews = ReviewFactory.create_batch(3, product=product)
    mention(reviews[0], "fit/size", "negative", "It runs small.", similarity=0.9)
    mention(reviews[1], "fit/size", "negative", "Tight on the hips.", similarity=0.6)
    mention(reviews[2], "fit/size", "positive", "Fits well.")
    mention(reviews[2], "delivery", "neutral", "It came on Tuesday.", index=1)
    mention(ReviewFactory(), "delivery", "negative")  # another product

    with django_assert_num_queries(2):
        rows = selectors.product_aspect_breakdown(product_id=product.pk)

    assert rows == [
        {
            "aspect_id": Aspect.objects.get(name="fit/size").pk,
            "aspect": "fit/size",
            "mentions": 3,
            "positive": 1,
            "neutral": 0,
            "negative": 2,
            "share_negative": 2 / 3,
            "examples": [
                {"review_id": reviews[0].pk, "sentence": "It runs small.", "label": "negative"},
                {"review_id": reviews[2].pk, "sentence": "Fits well.", "label": "positive"},
            ],
        },
        {
            "aspect_id": Aspect.objects.get(name="delivery").pk,
            "aspect": "delivery",
            "mentions": 1,
            "positive": 0,
            "neutral": 1,
            "negative": 0,
            "share_negative": 0.0,
            "examples": [],
        },
    ]


def test_a_product_without_aspect_opinions_has_an_empty_breakdown():
    assert selectors.product_aspect_breakdown(product_id=ProductFactory().pk) == []
