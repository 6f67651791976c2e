"""The nightly alert check on constructed review histories."""

from datetime import UTC, date, datetime, timedelta

import pytest
from rest_framework.exceptions import ValidationError

from insights.aspect_engine.alerts import AlertRule, fisher_exact_greater, odds_ratio_corrected
from insights.models import Aspect, AspectMention, ReviewSentiment, SentimentAlert
from insights.services import aspects as services
from insights.tasks.aspects import sentiment_alerts_check as sentiment_alerts_check_job
from insights.tasks.aspects import sentiment_alerts_check_nightly
from ml import services as ml_services
from ml.job_kinds import JobContext
from ml.models import Job, ModelVersion
from shop.models import Review
from tests.factories.shop import ProductFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
RULE = AlertRule()


def at(days_ago: int) -> datetime:
    """Noon UTC `days_ago` days before AS_OF."""
    day = AS_OF - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def add_reviews(product, *, days: range, negative_every: int, text: str = "Nice.", rating=5):
    """One review a day over `days` (days ago); every `negative_every`-th is rated 1."""
    reviews = [
        Review(
            product=product,
            rating=1 if negative_every and index % negative_every == 0 else rating,
            title="",
            text=f"{text} #{index}",
            created_at=at(day),
        )
        for index, day in enumerate(days)
    ]
    return Review.objects.bulk_create(reviews)


def history(product, *, recent_every: int, baseline_every: int = 10, recent_days=range(1, 21)):
    """40 baseline reviews (days 40-119 ago, every other day) and one review per recent day."""
    baseline = add_reviews(product, days=range(40, 120, 2), negative_every=baseline_every)
    recent = add_reviews(product, days=recent_days, negative_every=recent_every)
    return baseline, recent


def check(**kwargs):
    return services.sentiment_alerts_check(as_of=AS_OF, rule=kwargs.pop("rule", RULE), **kwargs)


def test_a_jump_in_negative_reviews_raises_a_product_alert_with_its_evidence():
    jumped, stable = ProductFactory(), ProductFactory()
    _baseline, recent = history(jumped, recent_every=2)  # 10% -> 50%
    history(stable, recent_every=10)  # 10% -> 10%

    result = check()

    alert = SentimentAlert.objects.get()
    assert (alert.product, alert.aspect, alert.status) == (jumped, None, "open")
    assert (alert.recent_negative, alert.recent_total) == (10, 20)
    assert (alert.baseline_negative, alert.baseline_total) == (4, 40)
    assert (
        alert.p_value == pytest.approx(fisher_exact_greater(10, 10, 4, 36)) and alert.p_value < 0.01
    )
    assert alert.statistic == pytest.approx(odds_ratio_corrected(10, 10, 4, 36))
    assert alert.test == RULE.description
    assert (alert.window_start, alert.window_end) == (date(2026, 6, 3), AS_OF)
    negative_ids = {r.pk for r in recent if r.rating == 1}
    assert len(alert.evidence) == 5
    assert {item["review_id"] for item in alert.evidence} <= negative_ids
    assert all(item["sentence"].startswith("Nice.") for item in alert.evidence)
    assert (result["alerts_created"], result["alerts_updated"]) == (1, 0)


def test_a_jump_in_one_aspect_raises_a_product_aspect_alert_with_its_sentences():
    product = ProductFactory()
    fit = Aspect.objects.get(name="fit/size")
    baseline, recent = history(product, recent_every=10)
    for index, review in enumerate(baseline + recent):
        negative = index % 8 == 0 if review in baseline else index % 2 == 0
        AspectMention.objects.create(
            review=review,
            aspect=fit,
            sentence="It runs small." if negative else "Fits well.",
            sentence_index=0,
            label="negative" if negative else "positive",
            similarity=0.7,
        )

    check()

    alert = SentimentAlert.objects.get()
    assert (alert.product, alert.aspect) == (product, fit)
    assert alert.recent_total == 20 and alert.recent_negative == 10
    assert {item["sentence"] for item in alert.evidence} == {"It runs small."}


def test_a_jump_on_too_few_reviews_raises_nothing():
    product = ProductFactory()
    history(product, recent_every=1, recent_days=range(1, RULE.min_recent_total))

    result = check()

    assert not SentimentAlert.objects.exists()
    assert result["tested"] == 0


def test_reviews_older_than_the_baseline_are_not_counted():
    product = ProductFactory()
    add_reviews(product, days=range(400, 440), negative_every=1)
    history(product, recent_every=10)

    check()

    assert not SentimentAlert.objects.exists()


def test_a_second_run_updates_the_open_alert_instead_of_raising_another():
    product = ProductFactory()
    history(product, recent_every=2)
    check()
    add_reviews(product, days=range(0, 1), negative_every=1)

    result = check()

    alert = SentimentAlert.objects.get()
    assert (alert.recent_negative, alert.recent_total) == (11, 21)
    assert (result["alerts_created"], result["alerts_updated"]) == (0, 1)


def test_an_alert_staff_dismissed_is_not_raised_again_within_its_window():
    product = ProductFactory()
    history(product, recent_every=2)
    check()
    services.alert_dismiss(alert_id=SentimentAlert.objects.get().pk)

    result = check()

    assert list(SentimentAlert.objects.values_list("status", flat=True)) == ["dismissed"]
    assert result["suppressed_resolved"] == 1


def test_model_scores_decide_a_reviews_label_where_they_exist():
    product = ProductFactory()
    _baseline, recent = history(product, recent_every=0)  # recent ratings are all 5
    version = ModelVersion.objects.create(
        task="sentiment", version=1, base_model="x", artifact_path="x", sha256="0" * 64
    )
    ReviewSentiment.objects.bulk_create(
        ReviewSentiment(review=r, label="negative", model_version=version, scored_at=r.created_at)
        for r in recent[:12]
    )

    check()

    alert = SentimentAlert.objects.get()
    assert (alert.recent_negative, alert.recent_total) == (12, 20)


def test_the_nightly_beat_task_submits_the_check_as_a_job():
    job_id = sentiment_alerts_check_nightly()

    job = Job.objects.get(pk=job_id)
    assert job.kind == "sentiment_alerts_check"
    assert job.params["alpha"] == RULE.alpha and job.params["recent_weeks"] == RULE.recent_weeks


def test_the_job_body_runs_the_check_with_its_parameters():
    product = ProductFactory()
    history(product, recent_every=2)
    job = ml_services.job_submit(
        kind="sentiment_alerts_check", params={"as_of": AS_OF.isoformat(), "alpha": 0.005}
    )

    outcome = sentiment_alerts_check_job.body(
        JobContext(job_id=job.pk, params=job.params, created_by_id=None)
    )

    assert outcome.metrics["alerts_created"] == 1
    assert "alpha=0.005" in SentimentAlert.objects.get().test


def test_check_params_are_validated():
    with pytest.raises(ValidationError) as error:
        ml_services.job_submit(kind="sentiment_alerts_check", params={"alpha": 0.5})
    assert set(error.value.detail) == {"alpha"}
