"""Admin of review sentiment: the scores page with its re-score button, label corrections."""

import pytest
from django.utils import timezone

from insights.models import ReviewLabelCorrection, ReviewSentiment
from ml.models import Job, ModelAlias, ModelVersion
from shop.models import Review
from tests.factories.api import ProductFactory, StaffFactory
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/insights/reviewsentiment/"


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def champion() -> ModelVersion:
    version = ModelVersion.objects.create(
        task="sentiment", version=2, artifact_path="sentiment/v2", sha256="0" * 64
    )
    ModelAlias.objects.create(task="sentiment", name=ModelAlias.Name.CHAMPION, version=version)
    return version


def review(rating: int = 5, text: str = "Lovely") -> Review:
    return Review.objects.create(
        product=ProductFactory(), rating=rating, text=text, created_at=timezone.now()
    )


def test_scores_page_shows_the_champions_coverage_and_the_rescore_button(admin_client, champion):
    ReviewSentiment.objects.create(
        review=review(),
        label="positive",
        probabilities={"negative": 0.1, "neutral": 0.1, "positive": 0.8},
        model_version=champion,
        scored_at=timezone.now(),
    )
    review(text="Not scored yet")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 of 2 reviews scored by it" in page
    assert "1 not scored yet" in page
    assert "Re-score every review with sentiment v2" in page
    assert "80%" in page  # the confidence column


def test_scores_page_without_a_champion_points_to_fine_tuning(admin_client):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert "No sentiment model is champion yet" in response.content.decode()
    assert "kind=finetune_classifier&amp;task=sentiment" in response.content.decode()


def test_rescore_button_queues_the_job(admin_client, champion):
    response = admin_client.post(CHANGELIST + "rescore/", follow=True)

    job = Job.objects.get()
    assert (job.kind, job.params["rescore"]) == ("sentiment_score", True)
    assert f"job #{job.pk}" in response.content.decode()


def test_rescore_needs_the_job_permission(client, champion):
    client.force_login(StaffFactory())

    assert client.post(CHANGELIST + "rescore/").status_code == 403
    assert not Job.objects.exists()


def test_rescore_is_a_post(admin_client, champion):
    assert admin_client.get(CHANGELIST + "rescore/").status_code == 405
    assert not Job.objects.exists()


def test_staff_add_a_label_correction_and_are_recorded_as_its_author(admin_client):
    target = review(rating=5, text="Five stars but it broke")

    response = admin_client.post(
        "/admin/insights/reviewlabelcorrection/add/", {"review": target.pk, "label": "negative"}
    )

    assert response.status_code == 302
    correction = ReviewLabelCorrection.objects.get()
    assert (correction.review_id, correction.label) == (target.pk, "negative")
    assert correction.corrected_by.is_superuser
    assert admin_client.get("/admin/insights/reviewlabelcorrection/").status_code == 200
