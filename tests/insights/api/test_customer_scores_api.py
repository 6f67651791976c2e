"""REST API of customer segments and value: the segment list and one customer's scores.
Permissions (staff with the view permission on scores), response shapes, readable 404s."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from insights.models import CustomerScore
from insights.services.customers import customer_scores_recompute
from shop.models import ApiKey
from tests.factories.api import (
    CustomerFactory,
    StaffFactory,
    api_key_client,
    session_client,
    token_client,
)
from tests.factories.shop import CustomerFactory as ShopCustomerFactory
from tests.insights.customer_scores_fixtures import build_store
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db

SEGMENTS = "/api/v1/insights/segments/"


def scores_url(customer_id: int) -> str:
    return f"/api/v1/insights/customers/{customer_id}/scores/"


def staff_in(group_name: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def staff_client() -> APIClient:
    return session_client(staff_in("Data scientists"))


@pytest.fixture
def scored_store():
    customers = build_store()
    customer_scores_recompute()
    return customers


def test_segments_list_each_segment_with_rule_count_share_and_mean_clv(staff_client, scored_store):
    response = staff_client.get(SEGMENTS)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 10
    assert body["as_of"] is not None and body["computed_at"] is not None
    rows = {row["segment"]: row for row in body["results"]}
    assert list(rows) == [
        "champions",
        "loyal",
        "potential_loyalists",
        "new",
        "at_risk",
        "hibernating",
        "lost",
    ]
    assert set(rows["champions"]) == {
        "segment",
        "name",
        "rule",
        "description",
        "count",
        "share",
        "mean_clv",
        "mean_churn_risk",
    }
    assert (rows["champions"]["name"], rows["champions"]["rule"]) == ("Champions", "R 5 and F 4-5")
    assert (rows["hibernating"]["count"], rows["hibernating"]["share"]) == (3, 0.3)
    assert rows["loyal"] == {
        **rows["loyal"],
        "count": 0,
        "share": 0.0,
        "mean_clv": None,
        "mean_churn_risk": None,
    }
    assert float(rows["champions"]["mean_clv"]) > float(rows["at_risk"]["mean_clv"])


def test_segments_before_the_first_run_are_all_empty(staff_client):
    body = staff_client.get(SEGMENTS).json()

    assert (body["as_of"], body["computed_at"], body["total"]) == (None, None, 0)
    assert {row["count"] for row in body["results"]} == {0}


def test_segments_run_a_fixed_number_of_queries(
    staff_client, scored_store, django_assert_num_queries
):
    staff_client.get(SEGMENTS)

    # session, user, the user's own and group permissions, segment sizes, latest run
    with django_assert_num_queries(6):
        staff_client.get(SEGMENTS)


def test_a_customers_scores(staff_client, scored_store):
    customer = scored_store["at_risk_i"]
    score = CustomerScore.objects.select_related("run").get(customer=customer)

    response = staff_client.get(scores_url(customer.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["customer_id"] == customer.pk
    assert (
        body["segment"],
        body["segment_name"],
        body["segment_rule"],
        body["segment_description"],
    ) == ("at_risk", "At risk", "R 1-2 and F 3-5", "Bought often, but not for a long time.")
    assert (body["r_score"], body["f_score"], body["m_score"]) == (1, 4, 4)
    assert (body["frequency"], body["monetary"]) == (7, "350.00")
    assert body["churn_risk"] == pytest.approx(score.churn_risk)
    assert body["probability_alive"] == pytest.approx(1 - score.churn_risk)
    assert body["expected_purchases"] == pytest.approx(score.expected_purchases)
    assert body["clv"] == str(score.clv)
    assert body["expected_spend"] == str(score.expected_spend)
    assert (body["horizon_months"], body["run_id"], body["job_id"]) == (12, score.run_id, None)
    assert body["as_of"] == score.run.as_of.isoformat()


def test_scores_of_an_unknown_customer_are_a_readable_404(staff_client):
    response = staff_client.get(scores_url(999_999))

    assert response.status_code == 404
    assert response.json() == {"detail": "No customer 999999.", "code": "customer_not_found"}


def test_scores_of_a_customer_not_scored_yet_are_a_readable_404(staff_client, scored_store):
    customer = ShopCustomerFactory()

    response = staff_client.get(scores_url(customer.pk))

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "customer_not_scored"
    assert f"Customer {customer.pk} has no score yet" in body["detail"]


@pytest.mark.parametrize("group_name", ["Store staff", "Support agents", "Data scientists"])
def test_staff_who_see_customers_read_scores_by_session_or_token(scored_store, group_name):
    user = staff_in(group_name)
    customer = scored_store["lost"]

    assert session_client(user).get(SEGMENTS).status_code == 200
    assert token_client(user).get(scores_url(customer.pk)).status_code == 200


def test_staff_without_the_view_permission_are_refused(scored_store):
    client = session_client(staff_in("Marketers"))

    response = client.get(SEGMENTS)
    assert response.status_code == 403
    assert "insights.view_customerscore" in response.json()["detail"]
    assert client.get(scores_url(scored_store["lost"].pk)).status_code == 403


def test_customers_storefront_keys_and_anonymous_callers_are_refused(scored_store):
    customer = scored_store["lost"]
    for url in (SEGMENTS, scores_url(customer.pk)):
        assert token_client(CustomerFactory().user).get(url).status_code == 403
        assert api_key_client(ApiKey.Scope.CATALOGUE_READ).get(url).status_code == 403
        assert APIClient().get(url).status_code == 401


def test_superusers_read_scores(scored_store):
    client = session_client(StaffFactory(is_superuser=True))

    assert client.get(SEGMENTS).status_code == 200
