"""Staff API of sentiment alerts and aspects: permissions, shapes, resolving."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from insights.models import Aspect, AspectMention, SentimentAlert
from shop.models import ApiKey
from tests.factories.api import (
    CustomerFactory,
    StaffFactory,
    UserFactory,
    api_key_client,
    grant,
    session_client,
    token_client,
)
from tests.factories.shop import ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/insights/alerts/"
ASPECTS = "/api/v1/insights/aspects/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_alert(product=None, aspect=None, status=SentimentAlert.Status.OPEN, **fields):
    values = {
        "window_start": date(2026, 6, 3),
        "window_end": date(2026, 6, 30),
        "recent_negative": 10,
        "recent_total": 20,
        "baseline_negative": 4,
        "baseline_total": 40,
        "statistic": 9.0,
        "p_value": 0.001,
        "test": "Fisher exact",
        "evidence": [{"review_id": 1, "sentence": "It runs small."}],
        **fields,
    }
    return SentimentAlert.objects.create(
        product=product or ProductFactory(), aspect=aspect, status=status, **values
    )


@pytest.fixture
def resolver():
    """Staff who may change alerts (insights.change_sentimentalert)."""
    user = StaffFactory()
    user.user_permissions.add(
        Permission.objects.get(codename="change_sentimentalert", content_type__app_label="insights")
    )
    return session_client(user), user


@pytest.fixture
def staff_client():
    return session_client(
        grant(StaffFactory(), "insights.view_sentimentalert", "insights.view_aspect")
    )


@pytest.fixture(params=["plain_user", "customer", "storefront_key"])
def non_staff_client(request):
    if request.param == "plain_user":
        return token_client(UserFactory())
    if request.param == "customer":
        return token_client(CustomerFactory().user)
    return api_key_client(*ApiKey.Scope.values)


def test_staff_list_alerts_newest_first_with_their_evidence(staff_client):
    fit = Aspect.objects.get(name="fit/size")
    older = make_alert()
    newer = make_alert(aspect=fit)

    response = staff_client.get(ALERTS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    row = body["results"][0]
    assert row == {
        "id": newer.pk,
        "product": {"id": newer.product.pk, "sku": newer.product.sku, "title": newer.product.title},
        "aspect": "fit/size",
        "status": "open",
        "window_start": "2026-06-03",
        "window_end": "2026-06-30",
        "recent_negative": 10,
        "recent_total": 20,
        "recent_share": 0.5,
        "baseline_negative": 4,
        "baseline_total": 40,
        "baseline_share": 0.1,
        "statistic": 9.0,
        "p_value": 0.001,
        "test": "Fisher exact",
        "evidence": [{"review_id": 1, "sentence": "It runs small."}],
        "created_at": row["created_at"],
        "resolved_by": None,
        "resolved_at": None,
    }
    assert body["results"][1]["aspect"] is None


def test_alerts_filter_by_status_and_product(staff_client):
    product = ProductFactory()
    wanted = make_alert(product=product)
    make_alert(product=product, status=SentimentAlert.Status.DISMISSED)
    make_alert()

    response = staff_client.get(ALERTS, {"status": "open", "product": product.pk})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_an_unknown_status_filter_is_a_400(staff_client):
    response = staff_client.get(ALERTS, {"status": "closed"})

    assert response.status_code == 400
    assert set(response.json()) == {"status"}


def test_listing_alerts_runs_a_fixed_number_of_queries(staff_client, django_assert_num_queries):
    fit = Aspect.objects.get(name="fit/size")
    for _ in range(5):
        make_alert(aspect=fit, status=SentimentAlert.Status.ACKNOWLEDGED)
    staff_client.get(ALERTS)  # warm the session and content types

    # session, user, count, page (alerts with products, aspects and resolvers)
    # + 2: the user's and their groups' permissions, checked by the view.
    with django_assert_num_queries(6):
        response = staff_client.get(ALERTS)

    assert response.json()["count"] == 5


def test_anonymous_callers_are_refused():
    assert APIClient().get(ALERTS).status_code == 401
    assert APIClient().get(ASPECTS).status_code == 401


def test_callers_who_are_not_staff_are_refused(non_staff_client):
    alert = make_alert()

    assert non_staff_client.get(ALERTS).status_code == 403
    assert non_staff_client.get(ASPECTS).status_code == 403
    assert non_staff_client.post(f"{ALERTS}{alert.pk}/acknowledge/").status_code == 403


def test_staff_with_the_permission_acknowledge_an_alert(resolver):
    client, user = resolver
    alert = make_alert()

    response = client.post(f"{ALERTS}{alert.pk}/acknowledge/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resolved_by"]) == (
        "acknowledged",
        user.username,
    )
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_by, alert.resolved_at is not None) == (
        "acknowledged",
        user,
        True,
    )


def test_staff_with_the_permission_dismiss_an_alert(resolver):
    client, _user = resolver
    alert = make_alert()

    response = client.post(f"{ALERTS}{alert.pk}/dismiss/")

    assert (response.status_code, response.json()["status"]) == (200, "dismissed")


def test_resolving_twice_the_same_way_changes_nothing(resolver):
    client, _user = resolver
    alert = make_alert()
    first = client.post(f"{ALERTS}{alert.pk}/dismiss/").json()

    again = client.post(f"{ALERTS}{alert.pk}/dismiss/")

    assert again.status_code == 200
    assert again.json()["resolved_at"] == first["resolved_at"]


def test_an_alert_resolved_one_way_cannot_be_resolved_the_other(resolver):
    client, _user = resolver
    alert = make_alert(status=SentimentAlert.Status.ACKNOWLEDGED)

    response = client.post(f"{ALERTS}{alert.pk}/dismiss/")

    assert response.status_code == 409
    assert response.json()["code"] == "alert_not_open"


def test_resolving_an_unknown_alert_is_a_404(resolver):
    client, _user = resolver

    response = client.post(f"{ALERTS}999999/acknowledge/")

    assert (response.status_code, response.json()["code"]) == (404, "alert_not_found")


def test_staff_without_the_permission_cannot_resolve(staff_client):
    alert = make_alert()

    response = staff_client.post(f"{ALERTS}{alert.pk}/acknowledge/")

    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"


def test_staff_get_one_alert_and_a_404_for_an_unknown_one(staff_client):
    alert = make_alert()

    assert staff_client.get(f"{ALERTS}{alert.pk}/").json()["id"] == alert.pk
    assert staff_client.get(f"{ALERTS}999999/").status_code == 404


def test_staff_list_aspects_with_their_opinion_counts(staff_client, django_assert_num_queries):
    fit = Aspect.objects.get(name="fit/size")
    review = ReviewFactory()
    for index, label in enumerate(["negative", "negative", "positive", "neutral"]):
        AspectMention.objects.create(
            review=review, aspect=fit, sentence="s", sentence_index=index, label=label, similarity=1
        )
    staff_client.get(ASPECTS)

    # session, user, the user's and groups' permissions, aspects with counts
    with django_assert_num_queries(5):
        response = staff_client.get(ASPECTS)

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert len(rows) == 9
    assert rows["fit/size"] == {
        "id": fit.pk,
        "name": "fit/size",
        "description": fit.description,
        "examples": fit.example_list,
        "is_active": True,
        "mention_count": 4,
        "negative_count": 2,
        "positive_count": 1,
    }
    assert rows["delivery"]["mention_count"] == 0
