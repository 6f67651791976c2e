"""REST API of sales forecasts and reorder suggestions: permissions (staff with the view
permission on forecasts), response shapes, bad input (400 with field errors), readable 404s."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from insights.services.forecasts import sales_forecast_recompute
from tests.factories.api import CustomerFactory, StaffFactory, session_client, token_client
from tests.insights.forecast_fixtures import build_sales_store
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db

FORECASTS = "/api/v1/insights/forecasts/"
REORDER = "/api/v1/insights/reorder-suggestions/"


def staff_in(group_name: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def staff_client() -> APIClient:
    return session_client(staff_in("Store staff"))


@pytest.fixture
def forecast_store():
    store = build_sales_store()
    sales_forecast_recompute(horizon=4)
    return store


def test_forecast_list_has_every_series_with_points_and_intervals(staff_client, forecast_store):
    response = staff_client.get(FORECASTS)

    assert response.status_code == 200
    body = response.json()
    assert body["run"]["horizon"] == 4 and body["run"]["frequency"] == "W"
    kinds = sorted(row["kind"] for row in body["results"])
    assert kinds == ["category", "category", "product", "product", "product"]
    steady = next(row for row in body["results"] if row["name"] == "Steady top")
    assert steady["product_id"] == forecast_store["steady"].pk
    assert len(steady["points"]) == 4
    point = steady["points"][0]
    assert set(point) == {"period", "step", "point", "lo80", "hi80", "lo95", "hi95", "flag"}
    assert point["lo95"] <= point["lo80"] <= point["point"] <= point["hi80"] <= point["hi95"]
    assert steady["model"] in steady["cv_scaled_error"]


def test_forecast_list_filters_by_kind(staff_client, forecast_store):
    body = staff_client.get(FORECASTS, {"kind": "category"}).json()
    assert sorted(row["name"] for row in body["results"]) == ["Dresses", "Tops"]


def test_forecast_list_runs_a_fixed_number_of_queries(
    staff_client, forecast_store, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        assert staff_client.get(FORECASTS).status_code == 200


def test_a_bad_kind_is_a_400_with_the_field(staff_client, forecast_store):
    response = staff_client.get(FORECASTS, {"kind": "planet"})
    assert response.status_code == 400
    assert "kind" in str(response.json())


def test_before_the_first_run_the_list_is_empty(staff_client):
    body = staff_client.get(FORECASTS).json()
    assert body == {"run": None, "results": []}


def test_a_product_forecast_comes_with_its_history(staff_client, forecast_store):
    product = forecast_store["steady"]
    response = staff_client.get(f"{FORECASTS}products/{product.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["run"]["horizon"] == 4
    assert body["history"][-1] == {"period": body["history"][-1]["period"], "units": 4.0}
    assert len(body["history"]) == 30


def test_a_category_forecast(staff_client, forecast_store):
    category = forecast_store["dresses"]
    body = staff_client.get(f"{FORECASTS}categories/{category.pk}/").json()
    assert body["kind"] == "category" and body["name"] == "Dresses"


def test_a_product_without_forecast_is_a_readable_404(staff_client, forecast_store):
    response = staff_client.get(f"{FORECASTS}products/999999/")
    assert response.status_code == 404
    assert "forecast_not_found" in str(response.json())


def test_reorder_suggestions_most_at_risk_first(staff_client, forecast_store):
    response = staff_client.get(REORDER, {"service_level": "0.9"})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows[0]["product_id"] == forecast_store["steady"].pk
    assert rows[0]["at_risk"] is True and rows[0]["quantity"] > 0
    assert rows[0]["service_level"] == 0.9
    at_risk = staff_client.get(REORDER, {"at_risk": "true"}).json()["results"]
    assert all(row["at_risk"] for row in at_risk)
    assert forecast_store["alternating"].pk not in {row["product_id"] for row in at_risk}


@pytest.mark.parametrize("value", ["0.2", "1", "lots"])
def test_a_bad_service_level_is_a_400(staff_client, forecast_store, value):
    response = staff_client.get(REORDER, {"service_level": value})
    assert response.status_code == 400
    assert "service_level" in str(response.json())


@pytest.mark.parametrize("url", [FORECASTS, REORDER])
def test_anonymous_callers_are_refused(url):
    assert APIClient().get(url).status_code in (401, 403)


@pytest.mark.parametrize("url", [FORECASTS, REORDER])
def test_customers_are_refused(url):
    user = CustomerFactory().user
    assert token_client(user).get(url).status_code == 403


@pytest.mark.parametrize("url", [FORECASTS, REORDER])
def test_staff_without_the_permission_are_refused(url):
    assert session_client(staff_in("Support agents")).get(url).status_code == 403
    assert session_client(StaffFactory()).get(url).status_code == 403


@pytest.mark.parametrize("group", ["Store staff", "Marketers", "Data scientists"])
def test_the_groups_with_the_permission_may_read(group):
    assert session_client(staff_in(group)).get(REORDER).status_code == 200
