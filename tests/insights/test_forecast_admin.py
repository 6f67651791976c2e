"""Admin pages of sales forecasts: the forecast page with its chart endpoint and table, the
reorder page, the run button, and who may see them."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from insights.services.forecasts import sales_forecast_recompute
from ml.models import Job
from tests.factories.api import StaffFactory, grant
from tests.insights.forecast_fixtures import build_sales_store
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db


def client_in(group_name: str | None) -> Client:
    user = StaffFactory()
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def store_staff() -> Client:
    return client_in("Store staff")


@pytest.fixture
def forecast_store():
    store = build_sales_store()
    sales_forecast_recompute(horizon=4)
    return store


def test_the_forecast_page_shows_a_product_chart_table_and_models(store_staff, forecast_store):
    product = forecast_store["steady"]
    response = store_staff.get(reverse("insights:forecasts"), {"product": product.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Units sold: Steady top" in html
    assert f"chart.json?product={product.pk}" in html
    assert "insights/vendor/chart.umd.min.js" in html
    assert "95% interval, high" in html  # the table fallback's header
    assert "Models of this run" in html and "Combination" in html


def test_without_a_choice_the_page_shows_the_best_selling_category(store_staff, forecast_store):
    response = store_staff.get(reverse("insights:forecasts"))
    assert "Units sold: Tops" in response.content.decode()  # 123 units against Dresses' 120


def test_the_chart_endpoint_has_history_forecast_and_bands(store_staff, forecast_store):
    product = forecast_store["steady"]
    response = store_staff.get(reverse("insights:forecast-chart"), {"product": product.pk})

    assert response.status_code == 200
    chart = response.json()
    keys = [series["key"] for series in chart["series"]]
    assert keys == ["history", "forecast", "lo95", "lo80", "hi80", "hi95"]
    assert len(chart["labels"]) == 30 + 4
    history, forecast = chart["series"][0]["data"], chart["series"][1]["data"]
    assert history[:30] == [4.0] * 30 and history[30:] == [None] * 4
    assert forecast[29] == 4.0 and None not in forecast[30:]


def test_the_chart_endpoint_refuses_bad_input(store_staff, forecast_store):
    response = store_staff.get(reverse("insights:forecast-chart"), {"product": "x"})
    assert response.status_code == 400
    assert "product" in response.json()["errors"]
    both = store_staff.get(
        reverse("insights:forecast-chart"),
        {"product": forecast_store["steady"].pk, "category": forecast_store["tops"].pk},
    )
    assert both.status_code == 400
    missing = store_staff.get(reverse("insights:forecast-chart"), {"product": 999999})
    assert missing.status_code == 404


def test_before_any_run_the_page_says_so(store_staff):
    response = store_staff.get(reverse("insights:forecasts"))
    assert response.status_code == 200
    assert "No forecast yet" in response.content.decode()


def test_the_reorder_page_lists_the_product_at_risk_first(store_staff, forecast_store):
    response = store_staff.get(reverse("insights:reorder"), {"service_level": "0.95"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Steady top") < html.index("Alternating dress")
    assert "(at risk)" in html
    only = store_staff.get(reverse("insights:reorder"), {"at_risk": "on"}).content.decode()
    assert "Alternating dress" not in only


def test_the_reorder_page_refuses_a_bad_service_level(store_staff, forecast_store):
    response = store_staff.get(reverse("insights:reorder"), {"service_level": "2"})
    assert response.status_code == 400
    assert "service_level" in response.content.decode()


def test_the_run_button_queues_one_job(store_staff):
    url = reverse("insights:forecasts-run")
    first = store_staff.post(url)
    store_staff.post(url)

    assert first.status_code == 302
    assert Job.objects.filter(kind="sales_forecast").count() == 1


@pytest.mark.parametrize(
    "name", ["insights:forecasts", "insights:reorder", "insights:forecast-chart"]
)
def test_staff_without_the_permission_are_refused(name):
    assert client_in("Support agents").get(reverse(name)).status_code == 403
    assert client_in(None).get(reverse(name)).status_code == 403


def test_the_run_button_needs_permission_to_start_jobs():
    viewer = StaffFactory()
    grant(viewer, "insights.view_salesforecast")
    client = Client()
    client.force_login(viewer)

    assert client.get(reverse("insights:forecasts")).status_code == 200
    assert client.post(reverse("insights:forecasts-run")).status_code == 403
    assert not Job.objects.exists()


def test_the_staff_home_links_to_the_reorder_page_for_those_who_may_see_it(store_staff):
    assert reverse("insights:reorder") in store_staff.get(reverse("insights:home")).content.decode()
    support = client_in("Support agents").get(reverse("insights:home")).content.decode()
    assert reverse("insights:reorder") not in support
