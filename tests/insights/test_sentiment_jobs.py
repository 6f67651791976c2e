"""Which sentiment jobs get queued: after a new review commits, by the bootstrap of `make run`,
by the re-score action. (No worker runs here: queued jobs stay queued.)"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from insights.models import ReviewSentiment
from insights.services.sentiment import (
    QUICK_TRAINING,
    sentiment_bootstrap,
    sentiment_rescore_submit,
)
from ml.exceptions import AliasNotSet
from ml.models import Job, ModelAlias, ModelVersion
from shop.models import Order, Review
from shop.services import review_create
from tests.factories.api import CustomerFactory, OrderItemFactory, ProductFactory
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def champion() -> ModelVersion:
    version = ModelVersion.objects.create(
        task="sentiment", version=1, artifact_path="sentiment/v1", sha256="0" * 64
    )
    ModelAlias.objects.create(task="sentiment", name=ModelAlias.Name.CHAMPION, version=version)
    return version


def make_reviews(count: int) -> list[Review]:
    product = ProductFactory()
    start = timezone.now() - timedelta(days=count)
    return Review.objects.bulk_create(
        Review(product=product, rating=1 + i % 5, text=f"review {i}", created_at=start)
        for i in range(count)
    )


def customer_review(django_capture_on_commit_callbacks):
    """Create a review through the service; return the callbacks it left for after commit."""
    customer = CustomerFactory()
    item = OrderItemFactory(order__customer=customer, order__status=Order.Status.DELIVERED)
    with django_capture_on_commit_callbacks() as callbacks:
        review_create(customer=customer, product_id=item.product_id, rating=2, text="Too small")
    return callbacks


def score_jobs() -> list[Job]:
    return list(Job.objects.filter(kind="sentiment_score").order_by("pk"))


def test_a_new_review_queues_one_scoring_job_after_commit(
    champion, django_capture_on_commit_callbacks
):
    callbacks = customer_review(django_capture_on_commit_callbacks)
    assert score_jobs() == []  # nothing before the commit

    for callback in callbacks:
        callback()

    (job,) = score_jobs()
    assert (job.status, job.params["rescore"]) == (Job.Status.QUEUED, False)
    assert "review_ids" not in job.params


def test_a_burst_of_reviews_shares_the_queued_job(champion, django_capture_on_commit_callbacks):
    for _ in range(3):
        for callback in customer_review(django_capture_on_commit_callbacks):
            callback()

    assert len(score_jobs()) == 1


def test_no_job_before_a_sentiment_model_is_champion(django_capture_on_commit_callbacks):
    for callback in customer_review(django_capture_on_commit_callbacks):
        callback()

    assert score_jobs() == []


def test_bootstrap_queues_a_quick_promoted_finetune_then_a_scoring_that_waits_for_it():
    make_reviews(30)

    outcome = sentiment_bootstrap()

    finetune, score = outcome.finetune_job, outcome.score_job
    assert finetune.kind == "finetune_classifier"
    assert finetune.params | QUICK_TRAINING == finetune.params
    assert (finetune.params["task"], finetune.params["dataset"], finetune.params["promote"]) == (
        "sentiment",
        "store_reviews_sentiment",
        True,
    )
    assert (score.kind, score.params["after_job_id"], score.params["rescore"]) == (
        "sentiment_score",
        finetune.pk,
        True,
    )


def test_bootstrap_twice_does_not_train_twice():
    make_reviews(30)
    first = sentiment_bootstrap()

    second = sentiment_bootstrap()

    assert second.finetune_job == first.finetune_job
    assert second.score_job is None
    assert Job.objects.count() == 2


def test_bootstrap_with_a_champion_only_scores_what_is_unscored(champion):
    reviews = make_reviews(30)

    outcome = sentiment_bootstrap()
    ReviewSentiment.objects.bulk_create(
        ReviewSentiment(
            review=review, label="neutral", model_version=champion, scored_at=timezone.now()
        )
        for review in reviews
    )
    outcome.score_job.delete()
    nothing_to_do = sentiment_bootstrap()

    assert outcome.finetune_job is None
    assert outcome.score_job.params == {"rescore": False, "chunk_size": 1000}
    assert (nothing_to_do.finetune_job, nothing_to_do.score_job) == (None, None)


def test_bootstrap_without_enough_reviews_queues_nothing():
    make_reviews(5)

    outcome = sentiment_bootstrap()

    assert "5 reviews; 20 are needed" in outcome.message
    assert not Job.objects.exists()


def test_bootstrap_command_prints_what_it_queued(capsys):
    make_reviews(30)

    call_command("sentiment_bootstrap", "--max-rows", "200")

    finetune = Job.objects.get(kind="finetune_classifier")
    assert finetune.params["max_rows"] == 200
    assert f"Queued job #{finetune.pk}" in capsys.readouterr().out


def test_rescore_is_one_queued_job_however_often_it_is_asked(champion):
    first = sentiment_rescore_submit()
    second = sentiment_rescore_submit()

    assert first == second
    assert first.params["rescore"] is True


def test_rescore_without_a_champion_is_refused():
    with pytest.raises(AliasNotSet):
        sentiment_rescore_submit()
    assert not Job.objects.exists()
