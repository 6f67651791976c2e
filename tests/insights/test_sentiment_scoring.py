"""Scoring reviews with the sentiment champion on a real worker: batch, re-score after a
promotion, new reviews after commit, readable failures."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from insights.models import ReviewSentiment
from insights.services.sentiment import sentiment_rescore_submit
from ml import services as ml_services
from ml.models import Job
from shop.models import Order, Review
from tests.factories.api import CustomerFactory, OrderItemFactory, ProductFactory, token_client
from tests.insights import sentiment_fixtures
from tests.insights.sentiment_fixtures import (
    LABELS,
    build_tiny_classifier,
    register_sentiment_version,
)

# Shared fixtures (assigned, not imported, so that test arguments do not shadow imports).
artifact_store = sentiment_fixtures.artifact_store
clean_model_cache = sentiment_fixtures.clean_model_cache
fast_password_hashing = sentiment_fixtures.fast_password_hashing
sentiment_champion = sentiment_fixtures.sentiment_champion
tiny_classifier_dir = sentiment_fixtures.tiny_classifier_dir

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


WORDS = ["lovely fit", "awful fabric", "okay colour", "great value", "poor stitching"]


def make_reviews(count: int, *, product=None) -> list[Review]:
    product = product or ProductFactory()
    start = timezone.now() - timedelta(days=count)
    return Review.objects.bulk_create(
        Review(
            product=product,
            rating=1 + i % 5,
            title=f"Title {i}" if i % 2 else "",
            text=f"The {WORDS[i % len(WORDS)]}, review {i}.",
            created_at=start + timedelta(days=i),
        )
        for i in range(count)
    )


def finished(job_id: int) -> Job | None:
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


def run_job(wait_for, params: dict, *, timeout: float = 60) -> Job:
    job = ml_services.job_submit(kind="sentiment_score", params=params)
    return wait_for(lambda: finished(job.pk), timeout=timeout)


def test_batch_job_scores_every_unscored_review_with_label_probabilities_and_version(
    sentiment_champion, celery_worker_thread, wait_for
):
    reviews = make_reviews(25)
    wordless = Review.objects.create(
        product=reviews[0].product, rating=4, title="", text="", created_at=timezone.now()
    )

    done = run_job(wait_for, {"chunk_size": 10})

    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.metrics["scored"] == 25
    assert done.result["version"] == sentiment_champion.version
    scores = {s.review_id: s for s in ReviewSentiment.objects.all()}
    assert set(scores) == {r.pk for r in reviews}
    assert wordless.pk not in scores
    for score in scores.values():
        assert score.model_version_id == sentiment_champion.pk
        assert sorted(score.probabilities) == sorted(LABELS)  # jsonb keeps no key order
        assert sum(score.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert score.label == max(score.probabilities, key=score.probabilities.get)
    assert "Scored 25 of 25 reviews" in done.log


def test_rescore_after_promotion_moves_every_score_to_the_new_champion(
    sentiment_champion, tmp_path, celery_worker_thread, wait_for
):
    reviews = make_reviews(12)
    assert run_job(wait_for, {}).status == Job.Status.SUCCEEDED
    challenger = register_sentiment_version(build_tiny_classifier(tmp_path / "v2", seed=2))

    unscored_only = run_job(wait_for, {})
    rescore = sentiment_rescore_submit()
    done = wait_for(lambda: finished(rescore.pk), timeout=60)

    assert unscored_only.metrics["scored"] == 0
    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.metrics["scored"] == 12
    assert set(ReviewSentiment.objects.values_list("model_version", flat=True)) == {challenger.pk}
    assert ReviewSentiment.objects.count() == len(reviews)


def test_review_created_through_the_api_is_scored_after_commit(
    sentiment_champion, celery_worker_thread, wait_for
):
    customer = CustomerFactory()
    item = OrderItemFactory(order__customer=customer, order__status=Order.Status.DELIVERED)

    response = token_client(customer.user).post(
        f"/api/v1/products/{item.product_id}/reviews/",
        {"rating": 1, "title": "Fell apart", "text": "The seams split after one wash."},
        format="json",
    )

    assert response.status_code == 201, response.content
    score = wait_for(
        lambda: ReviewSentiment.objects.filter(review_id=response.json()["id"]).first(),
        timeout=60,
    )
    assert score.model_version_id == sentiment_champion.pk
    assert score.label in LABELS
    assert Job.objects.filter(kind="sentiment_score").count() == 1


def test_scoring_without_a_champion_fails_readably(artifact_store, celery_worker_thread, wait_for):
    make_reviews(3)

    done = run_job(wait_for, {})

    assert done.status == Job.Status.FAILED
    assert done.error.startswith("AliasNotSet: No sentiment model is champion yet")
    assert done.attempts == 1
    assert not ReviewSentiment.objects.exists()


def test_scoring_with_a_tampered_champion_fails_readably(
    sentiment_champion, artifact_store, celery_worker_thread, wait_for
):
    make_reviews(3)
    weights = artifact_store / sentiment_champion.artifact_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")

    done = run_job(wait_for, {})

    assert done.status == Job.Status.FAILED
    assert done.error.startswith("ArtifactIntegrityError: Artifact of sentiment v1 failed")
    assert not ReviewSentiment.objects.exists()


def test_scoring_job_waits_for_the_job_it_follows(
    sentiment_champion, celery_worker_thread, wait_for
):
    make_reviews(4)
    training = Job.objects.create(kind="finetune_classifier", status=Job.Status.RUNNING)

    job = ml_services.job_submit(
        kind="sentiment_score", params={"rescore": True, "after_job_id": training.pk}
    )
    wait_for(lambda: Job.objects.filter(pk=job.pk, progress_message__startswith="Waiting").exists())
    assert not ReviewSentiment.objects.exists()
    Job.objects.filter(pk=training.pk).update(status=Job.Status.SUCCEEDED)
    done = wait_for(lambda: finished(job.pk), timeout=60)

    assert done.status == Job.Status.SUCCEEDED, done.error
    assert ReviewSentiment.objects.count() == 4


def test_probabilities_match_the_engine_of_the_champion(sentiment_champion, tiny_classifier_dir):
    from insights.services.sentiment import review_sentiments_score
    from ml.training.inference import EncoderEngine, EncoderEngineConfig

    reviews = make_reviews(6)

    result = review_sentiments_score()

    engine = EncoderEngine(tiny_classifier_dir, EncoderEngineConfig(device="cpu"))
    texts = [f"{r.title}. {r.text}" if r.title else r.text for r in reviews]
    expected = engine.classify(texts)
    stored = [ReviewSentiment.objects.get(review=r) for r in reviews]
    assert result.scored == 6
    assert [s.label for s in stored] == expected.labels
    got = np.array([[s.probabilities[label] for label in LABELS] for s in stored])
    assert np.allclose(got, expected.probabilities, atol=1e-3)
