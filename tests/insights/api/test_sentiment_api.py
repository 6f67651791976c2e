"""REST API of review sentiment: a product's sentiment, sentiment by category and period,
re-scoring. Permissions and response shapes."""

from datetime import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from insights.models import ReviewSentiment
from ml.models import Job, ModelAlias, ModelVersion
from shop.models import ApiKey, Review
from tests.factories.api import (
    CategoryFactory,
    CustomerFactory,
    ProductFactory,
    StaffFactory,
    api_key_client,
    grant,
    session_client,
    token_client,
)
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def champion() -> ModelVersion:
    version = ModelVersion.objects.create(
        task="sentiment", version=3, artifact_path="sentiment/v3", sha256="0" * 64
    )
    ModelAlias.objects.create(task="sentiment", name=ModelAlias.Name.CHAMPION, version=version)
    return version


@pytest.fixture
def staff_client() -> APIClient:
    return session_client(grant(StaffFactory(), "insights.view_reviewsentiment", "ml.add_job"))


def scored(product, labels: list[str], version: ModelVersion, *, on: datetime | None = None):
    """One review per label, each scored with that label by `version`."""
    when = on or timezone.now()
    reviews = Review.objects.bulk_create(
        Review(product=product, rating=3, text=f"review {i}", created_at=when)
        for i in range(len(labels))
    )
    ReviewSentiment.objects.bulk_create(
        ReviewSentiment(
            review=review,
            label=label,
            probabilities={label: 1.0},
            model_version=version,
            scored_at=when,
        )
        for review, label in zip(reviews, labels, strict=True)
    )


def product_url(product) -> str:
    return f"/api/v1/products/{product.pk}/sentiment/"


# --- a product's sentiment ----------------------------------------------------------------


def test_product_sentiment_gives_the_distribution_and_champion_version(staff_client, champion):
    product = ProductFactory()
    scored(product, ["positive", "positive", "positive", "negative"], champion)
    scored(ProductFactory(), ["negative"], champion)  # another product
    Review.objects.create(product=product, rating=5, text="not scored", created_at=timezone.now())

    response = staff_client.get(product_url(product))

    assert response.status_code == 200
    assert response.json() == {
        "product_id": product.pk,
        "distribution": {
            "total": 4,
            "counts": {"negative": 1, "neutral": 0, "positive": 3},
            "shares": {"negative": 0.25, "neutral": 0.0, "positive": 0.75},
        },
        "model_version": {"id": champion.pk, "task": "sentiment", "version": 3},
        "aspects": [],
        "summary": None,
    }


def test_product_sentiment_before_any_model_is_empty_not_an_error(staff_client):
    product = ProductFactory()

    response = staff_client.get(product_url(product))

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] is None
    assert body["distribution"] == {
        "total": 0,
        "counts": {"negative": 0, "neutral": 0, "positive": 0},
        "shares": {"negative": 0.0, "neutral": 0.0, "positive": 0.0},
    }


@pytest.mark.parametrize("scope", [ApiKey.Scope.REVIEWS_READ, ApiKey.Scope.CATALOGUE_READ])
def test_storefront_key_with_a_review_scope_reads_product_sentiment(champion, scope):
    product = ProductFactory()
    scored(product, ["neutral"], champion)

    response = api_key_client(scope).get(product_url(product))

    assert response.status_code == 200
    assert response.json()["distribution"]["counts"]["neutral"] == 1


def test_product_sentiment_refuses_keys_without_a_review_scope_customers_and_anonymous():
    url = product_url(ProductFactory())

    assert api_key_client(ApiKey.Scope.EVENTS_WRITE).get(url).status_code == 403
    assert token_client(CustomerFactory().user).get(url).status_code == 403
    assert APIClient().get(url).status_code == 401


def test_unknown_or_hidden_product_is_404_but_staff_see_inactive_ones(staff_client):
    hidden = ProductFactory(is_active=False)
    storefront = api_key_client(ApiKey.Scope.REVIEWS_READ)

    assert storefront.get("/api/v1/products/999999/sentiment/").status_code == 404
    assert storefront.get(product_url(hidden)).status_code == 404
    assert staff_client.get(product_url(hidden)).status_code == 200


# --- sentiment by category and period -------------------------------------------------------


def test_sentiment_by_category_and_week(staff_client, champion):
    dresses, tops = CategoryFactory(name="Dresses"), CategoryFactory(name="Tops")
    monday = timezone.make_aware(datetime(2026, 3, 2, 12))
    thursday_next_week = timezone.make_aware(datetime(2026, 3, 12, 12))
    scored(ProductFactory(category=dresses), ["negative", "positive"], champion, on=monday)
    scored(ProductFactory(category=dresses), ["positive"], champion, on=thursday_next_week)
    scored(ProductFactory(category=tops), ["neutral"], champion, on=monday)

    response = staff_client.get("/api/v1/insights/sentiment/?group=category&period=week")

    assert response.status_code == 200
    body = response.json()
    assert (body["group"], body["period"], body["model_version"]["version"]) == (
        "category",
        "week",
        3,
    )
    rows = [
        (r["category"], r["period_start"], r["total"], r["counts"]["negative"], r["shares"])
        for r in body["results"]
    ]
    assert rows == [
        ("Dresses", "2026-03-02", 2, 1, {"negative": 0.5, "neutral": 0.0, "positive": 0.5}),
        ("Dresses", "2026-03-09", 1, 0, {"negative": 0.0, "neutral": 0.0, "positive": 1.0}),
        ("Tops", "2026-03-02", 1, 0, {"negative": 0.0, "neutral": 1.0, "positive": 0.0}),
    ]
    assert body["results"][0]["category_id"] == dresses.pk


def test_sentiment_of_the_whole_store_by_month_within_dates(staff_client, champion):
    product = ProductFactory()
    scored(product, ["negative"], champion, on=timezone.make_aware(datetime(2026, 1, 31, 12)))
    scored(
        product, ["positive", "positive"], champion, on=timezone.make_aware(datetime(2026, 2, 3))
    )
    scored(product, ["neutral"], champion, on=timezone.make_aware(datetime(2026, 3, 1, 12)))

    response = staff_client.get(
        "/api/v1/insights/sentiment/?group=store&period=month&since=2026-01-15&until=2026-03-01"
    )

    assert response.status_code == 200
    assert [(r["period_start"], r["total"]) for r in response.json()["results"]] == [
        ("2026-01-01", 1),
        ("2026-02-01", 2),
    ]
    assert "category" not in response.json()["results"][0]


def test_sentiment_trend_runs_a_fixed_number_of_queries(
    staff_client, champion, django_assert_num_queries
):
    for name in ("A", "B", "C"):
        scored(ProductFactory(category=CategoryFactory(name=name)), ["positive"], champion)
    staff_client.get("/api/v1/insights/sentiment/")  # the session is loaded once per request

    # session, user, champion alias, the grouped counts
    # + 2: the user's and their groups' permissions, checked by the view.
    with django_assert_num_queries(6):
        response = staff_client.get("/api/v1/insights/sentiment/")
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group=colour", "group"),
        ("period=day", "period"),
        ("since=2026-02-01&until=2026-01-01", "until"),
    ],
)
def test_bad_trend_query_is_a_400_naming_the_field(staff_client, query, field):
    response = staff_client.get(f"/api/v1/insights/sentiment/?{query}")

    assert response.status_code == 400
    assert set(response.json()) == {field}


def test_sentiment_trend_is_for_staff_only():
    url = "/api/v1/insights/sentiment/"

    assert api_key_client(ApiKey.Scope.REVIEWS_READ).get(url).status_code == 403
    assert token_client(CustomerFactory().user).get(url).status_code == 403
    assert APIClient().get(url).status_code == 401


# --- re-scoring -----------------------------------------------------------------------------


def test_staff_rescore_queues_one_job(staff_client, champion):
    response = staff_client.post("/api/v1/insights/sentiment/rescore/")

    assert response.status_code == 202
    job = Job.objects.get()
    assert response.json() == {"job_id": job.pk, "kind": "sentiment_score", "status": "queued"}
    assert job.params["rescore"] is True


def test_rescore_without_a_champion_is_404(staff_client):
    response = staff_client.post("/api/v1/insights/sentiment/rescore/")

    assert response.status_code == 404
    assert response.json()["code"] == "alias_not_set"
    assert not Job.objects.exists()


def test_rescore_is_for_staff_only(champion):
    url = "/api/v1/insights/sentiment/rescore/"

    assert api_key_client(ApiKey.Scope.REVIEWS_READ).post(url).status_code == 403
    assert APIClient().post(url).status_code == 401
