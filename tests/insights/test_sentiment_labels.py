"""Training labels: from ratings, unless staff corrected the review's label."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from insights.models import ReviewLabelCorrection, ReviewSentiment
from insights.selectors.sentiment import sentiment_label_from_rating, sentiment_training_examples
from insights.services.sentiment import review_label_correct
from ml import datasets
from ml.exceptions import BadJobInput
from ml.tasks import FinetuneClassifierParams
from shop.models import Review
from tests.factories.api import ProductFactory, ReviewFactory, StaffFactory
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db


def make_reviews(*ratings: int, text: str = "Nice dress") -> list[Review]:
    """Reviews without customers (no user to hash a password for), oldest first."""
    product = ProductFactory()
    start = timezone.now() - timedelta(days=len(ratings))
    return Review.objects.bulk_create(
        Review(
            product=product,
            rating=rating,
            title="",
            text=f"{text} {i}",
            created_at=start + timedelta(days=i),
        )
        for i, rating in enumerate(ratings)
    )


@pytest.mark.parametrize(
    ("rating", "label"),
    [(1, "negative"), (2, "negative"), (3, "neutral"), (4, "positive"), (5, "positive")],
)
def test_rating_gives_the_label(rating, label):
    assert sentiment_label_from_rating(rating=rating) == label


def test_training_labels_come_from_ratings_oldest_first():
    reviews = make_reviews(1, 3, 5, 4)

    examples = sentiment_training_examples(limit=10)

    assert examples.review_ids == [r.pk for r in reviews]
    assert examples.labels == ["negative", "neutral", "positive", "positive"]
    assert examples.texts[0] == "Nice dress 0"
    assert examples.corrected == 0


def test_staff_correction_wins_over_the_rating():
    five_stars_but_angry, other = make_reviews(5, 1)

    review_label_correct(review_id=five_stars_but_angry.pk, label="negative")
    examples = sentiment_training_examples(limit=10)

    labels = dict(zip(examples.review_ids, examples.labels, strict=True))
    assert labels == {five_stars_but_angry.pk: "negative", other.pk: "negative"}
    assert examples.corrected == 1


def test_corrected_reviews_are_kept_when_the_row_limit_cuts():
    reviews = make_reviews(5, 5, 5, 1)
    review_label_correct(review_id=reviews[3].pk, label="neutral")

    examples = sentiment_training_examples(limit=2)

    assert examples.review_ids == [reviews[3].pk, reviews[0].pk]
    assert examples.labels == ["neutral", "positive"]


def test_training_text_is_title_dot_text_and_reviews_without_text_are_left_out():
    product = ProductFactory()
    ReviewFactory(product=product, customer=None, rating=5, title="Love it", text="Fits well")
    ReviewFactory(product=product, customer=None, rating=1, title="Only a title", text="")

    examples = sentiment_training_examples(limit=10)

    assert examples.texts == ["Love it. Fits well"]


def test_correcting_again_overwrites_the_label_and_records_who():
    review = make_reviews(5)[0]
    staff = StaffFactory()

    review_label_correct(review_id=review.pk, label="neutral")
    review_label_correct(review_id=review.pk, label="negative", user=staff)

    correction = ReviewLabelCorrection.objects.get()
    assert (correction.review_id, correction.label, correction.corrected_by) == (
        review.pk,
        "negative",
        staff,
    )


def test_unknown_label_is_refused():
    review = make_reviews(5)[0]

    with pytest.raises(ValueError, match="Unknown sentiment label 'angry'"):
        review_label_correct(review_id=review.pk, label="angry")
    assert not ReviewLabelCorrection.objects.exists()


def test_finetune_dataset_store_reviews_sentiment_uses_the_corrections():
    reviews = make_reviews(*([5] * 12 + [1] * 12))
    for review in reviews[:4]:
        review_label_correct(review_id=review.pk, label="neutral")

    data = datasets.CLASSIFICATION_DATASETS["store_reviews_sentiment"](max_rows=100)

    assert data.summary["label_counts"] == {"negative": 12, "neutral": 4, "positive": 8}
    assert data.summary["corrected_labels"] == 4
    assert data.source.startswith("store reviews")


def test_finetune_dataset_refuses_too_few_reviews():
    make_reviews(5, 1, 3)

    with pytest.raises(BadJobInput, match="Only 3 labelled rows"):
        datasets.CLASSIFICATION_DATASETS["store_reviews_sentiment"](max_rows=100)


def test_finetune_job_offers_the_registered_dataset_and_refuses_unknown_ones():
    valid = FinetuneClassifierParams(data={})
    valid.is_valid(raise_exception=True)
    assert valid.validated_data["dataset"] == "store_reviews_sentiment"

    with pytest.raises(ValidationError) as error:
        FinetuneClassifierParams(data={"dataset": "nope"}).is_valid(raise_exception=True)
    assert set(error.value.detail) == {"dataset"}


def test_a_dataset_name_cannot_be_taken_twice():
    with pytest.raises(ValueError, match="already registered"):
        datasets.register_classification_dataset(
            "csv_file", lambda **_: None, description="another"
        )


def test_admin_action_corrects_the_selected_reviews(sentiment_version, monkeypatch):
    staff = StaffFactory(is_superuser=True)
    reviews = make_reviews(5, 4, 1)
    for review in reviews:
        ReviewSentiment.objects.create(
            review=review,
            label="positive",
            probabilities={"positive": 0.9},
            model_version=sentiment_version,
            scored_at=timezone.now(),
        )
    model_admin = admin.site._registry[ReviewSentiment]
    request = RequestFactory().post("/")
    request.user = staff
    monkeypatch.setattr(model_admin, "message_user", lambda *args, **kwargs: None)

    model_admin.correct_to_negative(request, ReviewSentiment.objects.filter(review__in=reviews[:2]))

    assert dict(ReviewLabelCorrection.objects.values_list("review_id", "label")) == {
        reviews[0].pk: "negative",
        reviews[1].pk: "negative",
    }
    assert set(ReviewLabelCorrection.objects.values_list("corrected_by", flat=True)) == {staff.pk}


@pytest.fixture
def sentiment_version():
    from ml.models import ModelVersion

    return ModelVersion.objects.create(
        task="sentiment", version=1, artifact_path="sentiment/v1", sha256="0" * 64
    )
