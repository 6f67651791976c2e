"""The staff home: what each section shows, the rules behind the numbers, who sees which
section, the chart endpoints, and a bounded number of queries."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from insights.home import selectors
from ml.models import Job, ModelAlias
from shop.models import Order
from tests.factories.api import StaffFactory, UserFactory
from tests.factories.shop import ProductFactory
from tests.insights.home_fixtures import home_data, local_midnight, model_version, order

pytestmark = pytest.mark.django_db

HOME = "/admin/insights/home/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def staff_with(*permissions: str) -> Client:
    user = StaffFactory()
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label=app_label)
        )
    client = Client()
    client.force_login(user)
    return client


def chart_url(name: str) -> str:
    return reverse("insights:home-chart", args=[name])


# --- the page ------------------------------------------------------------------------------


def test_the_admin_index_leads_to_the_staff_home(superuser_client):
    html = superuser_client.get(reverse("admin:index")).content.decode()

    assert 'id="staff-home-panel"' in html
    assert f'href="{HOME}">Open the staff home</a>' in html
    assert html.index("staff-home-panel") < html.index('id="insights-dashboard-link"')


def test_the_home_shows_every_section_with_links_to_the_details(superuser_client):
    data = home_data(now=timezone.now())

    response = superuser_client.get(HOME)

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["visible"] == {
        "sales", "alerts", "jobs", "models", "campaigns", "stock", "sentiment",
    }  # fmt: skip
    # Sales: 2 orders and 42.50 today; 1 order and 20.00 by now last week, 2 and 120.00 all day.
    sales = response.context["sales"]
    assert (sales["today"]["orders"], sales["today"]["revenue"]) == (2, Decimal("42.50"))
    assert sales["last_week_same_time"] == {"orders": 1, "revenue": Decimal("20.00")}
    assert sales["last_week_day"] == {"orders": 2, "revenue": Decimal("120.00")}
    assert sales["orders_change"] == {"direction": "up", "percent": 100}
    assert "▲ up 113%" in html  # revenue: 42.50 against 20.00
    assert f"{settings.STORE_CURRENCY} 42.50" in html
    # Each item links to its page.
    alert_url = reverse("admin:insights_sentimentalert_change", args=[data.alert.pk])
    assert f'<a href="{alert_url}">Linen dress</a>' in html
    assert "Sentiment alerts: 1 open" in html
    assert f'href="{reverse("admin:ml_job_change", args=[data.job.pk])}"' in html
    assert f'hx-get="{reverse("admin:ml_job_progress", args=[data.job.pk])}"' in html
    assert 'aria-valuenow="40"' in html
    promote = reverse("admin:ml_modelversion_promote", args=[data.candidate.pk, "champion"])
    assert f'<a href="{promote}">Compare and promote</a>' in html
    assert "test.macro_f1 0.6200" in html and "better</span> than v1 (0.6100)" in html
    campaign_url = reverse("admin:marketing_campaign_change", args=[data.campaign.pk])
    assert f'<a href="{campaign_url}">Spring linen</a>' in html
    assert "Winter sale" not in html  # ended
    assert "not measured yet" in html  # no nightly measurement yet
    product_url = reverse("admin:shop_product_change", args=[data.fast_seller.pk])
    assert f'<a href="{product_url}">Linen dress</a>' in html
    assert "Wool coat" not in html  # 500 in stock: not at risk
    # Charts: a canvas per endpoint, and the same numbers in a table.
    for name in ("orders", "jobs", "sentiment"):
        assert f'data-chart-url="{chart_url(name)}"' in html
    assert html.count('<details class="staff-home__data" open data-chart-data>') == 3
    assert "/static/insights/vendor/chart.umd.min.js" in html
    assert "cdn" not in html.lower()


def test_the_home_of_an_empty_store_says_there_is_nothing_to_do(superuser_client):
    html = superuser_client.get(HOME).content.decode()

    assert "No open alerts." in html
    assert "No job is queued or running." in html
    assert "Every task's champion is its newest version." in html
    assert "No campaign is running today." in html
    assert "No product runs out within 14 days." in html
    assert "no orders by this time last" in html


def test_the_home_needs_active_staff():
    anonymous = Client().get(HOME)
    customer = Client()
    customer.force_login(UserFactory())

    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    assert customer.get(HOME).status_code == 302


def test_staff_without_permissions_see_no_section_and_run_no_section_query(
    django_assert_max_num_queries,
):
    client = staff_with()
    home_data(now=timezone.now())

    with django_assert_max_num_queries(6):  # session, user, permissions, admin's app list
        response = client.get(HOME)

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["visible"] == set()
    assert "Nothing here is open to your account yet." in html
    assert "Linen dress" not in html and "data-chart-url" not in html
    assert "chart.umd.min.js" not in html


@pytest.mark.parametrize(
    ("permission", "section", "element"),
    [
        ("shop.view_order", "sales", 'id="home-sales"'),
        ("insights.view_sentimentalert", "alerts", 'id="home-alerts"'),
        ("ml.view_job", "jobs", 'id="home-jobs"'),
        ("ml.view_modelversion", "models", 'id="home-models"'),
        ("marketing.view_campaign", "campaigns", 'id="home-campaigns"'),
        ("shop.view_product", "stock", 'id="home-stock"'),
        ("shop.view_review", "sentiment", 'id="home-chart-sentiment"'),
    ],
)
def test_each_section_needs_the_view_permission_of_its_model(permission, section, element):
    home_data(now=timezone.now())

    html_with = staff_with(permission).get(HOME).content.decode()
    html_without = staff_with().get(HOME).content.decode()

    assert element in html_with
    assert element not in html_without
    others = {"home-sales", "home-alerts", "home-jobs", "home-models", "home-campaigns"}
    shown = {name for name in others if f'id="{name}"' in html_with}
    assert shown <= {element.split('"')[1]}


def test_a_user_who_may_not_move_aliases_gets_a_compare_link_instead_of_promote():
    data = home_data(now=timezone.now())

    html = staff_with("ml.view_modelversion").get(HOME).content.decode()

    task_url = reverse("admin:ml_modelversion_task", args=["sentiment"])
    assert f'<a href="{task_url}">Compare</a>' in html
    assert reverse("admin:ml_modelversion_promote", args=[data.candidate.pk, "champion"]) not in (
        html
    )


def test_the_home_runs_the_same_number_of_queries_however_much_there_is(
    superuser_client, django_assert_num_queries
):
    now = timezone.now()
    home_data(now=now, versions=2)
    superuser_client.get(HOME)  # warm the session and the content types

    # 2 (session, user) + 1 sales + 2 alerts + 1 jobs + 2 models + 2 campaigns (with their
    # latest effects) + 1 stock + 3 charts.
    with django_assert_num_queries(14):
        superuser_client.get(HOME)

    for number in range(3, 12):
        model_version("sentiment", number, 0.5)
    for _ in range(15):
        Job.objects.create(kind="rating_aggregates", status=Job.Status.QUEUED)
        order(placed_at=now - timedelta(minutes=1), total="5.00",
              items=[(ProductFactory(stock=1), 3)])  # fmt: skip
    with django_assert_num_queries(14):
        response = superuser_client.get(HOME)
    assert len(response.context["jobs"]) == 10 and len(response.context["stock"]) == 10


# --- the rules behind the numbers ----------------------------------------------------------


def test_sales_today_compare_with_the_same_weekday_last_week_up_to_the_same_time():
    today = timezone.localdate()
    now = local_midnight(today) + timedelta(hours=10)
    last_week = local_midnight(today - timedelta(days=7))
    order(placed_at=now - timedelta(hours=1), total="10.00")
    order(placed_at=now + timedelta(minutes=1), total="99.00")  # later today: not yet
    order(placed_at=last_week + timedelta(hours=9), total="40.00")
    order(placed_at=last_week + timedelta(hours=11), total="60.00")  # after 10:00
    order(placed_at=last_week + timedelta(hours=12), total="70.00", status=Order.Status.RETURNED)
    order(placed_at=last_week - timedelta(minutes=1), total="5.00")  # the day before

    sales = selectors.home_sales_today(now=now)

    assert sales["today"] == {"orders": 1, "revenue": Decimal("10.00")}
    assert sales["last_week_same_time"] == {"orders": 1, "revenue": Decimal("40.00")}
    assert sales["last_week_day"] == {"orders": 2, "revenue": Decimal("100.00")}
    assert sales["revenue_change"] == {"direction": "down", "percent": 75}
    assert sales["weekday"] == today.strftime("%A")


def test_stock_is_at_risk_when_it_covers_fewer_days_than_the_threshold_at_the_recent_rate():
    now = timezone.now()
    recent = now - timedelta(days=3)
    at_risk = ProductFactory(title="At risk", stock=5)  # 28 sold in 28 days: 5 days of cover
    sold_out = ProductFactory(title="Sold out", stock=0)  # sells, none left: 0 days
    enough = ProductFactory(title="Enough", stock=15)  # 28 in 28 days: 15 days
    ProductFactory(title="Never sold", stock=0)
    old_sales = ProductFactory(title="Sold long ago", stock=1)
    cancelled = ProductFactory(title="Only cancelled orders", stock=1)
    inactive = ProductFactory(title="Inactive", stock=1, is_active=False)
    order(placed_at=recent, total="1", items=[(at_risk, 28), (sold_out, 2), (enough, 28)])
    order(placed_at=recent, total="1", items=[(inactive, 5)])
    order(placed_at=now - timedelta(days=40), total="1", items=[(old_sales, 50)])
    order(placed_at=recent, total="1", status=Order.Status.CANCELLED, items=[(cancelled, 9)])

    rows = selectors.home_stock_at_risk(now=now, limit=10)

    assert [(p.title, p.units_sold, p.days_of_cover) for p in rows] == [
        ("Sold out", 2, 0.0),
        ("At risk", 28, 5.0),
    ]
    assert rows[1].daily_sales == 1.0


def test_versions_wait_for_promotion_when_newer_than_the_champion_or_without_one():
    champion = model_version("sentiment", 1, 0.70)
    model_version("sentiment", 2, 0.65)
    model_version("sentiment", 3, 0.72)
    ModelAlias.objects.create(task="sentiment", name="champion", version=champion)
    model_version("ad_copy", 1, 0.5)  # no champion yet
    settled = model_version("intent", 1, 0.9)
    ModelAlias.objects.create(task="intent", name="champion", version=settled)

    rows = selectors.home_models_awaiting(limit=10)

    assert [(str(r.version), r.champion_version, r.verdict) for r in rows] == [
        ("ad_copy v1", None, ""),
        ("sentiment v3", 1, "better"),
        ("sentiment v2", 1, "worse"),
    ]


# --- charts --------------------------------------------------------------------------------


def test_the_orders_chart_has_every_day_of_the_last_30_days(superuser_client):
    now = timezone.now()
    home_data(now=now)

    chart = superuser_client.get(chart_url("orders")).json()

    today = timezone.localdate(now)
    assert chart["kind"] == "line" and chart["x_label"] == "Day"
    assert len(chart["labels"]) == 30 and chart["labels"][-1] == today.isoformat()
    orders, revenue = chart["series"]
    assert (orders["key"], revenue["key"], revenue["axis"]) == ("orders", "revenue", "right")
    assert orders["data"][-1] == 2 and revenue["data"][-1] == 42.5
    assert orders["data"][-8] == 2 and revenue["data"][-8] == 120.0  # same weekday last week


def test_the_jobs_chart_counts_jobs_per_status(superuser_client):
    home_data(now=timezone.now())

    chart = superuser_client.get(chart_url("jobs")).json()

    assert chart["labels"] == ["Queued", "Running", "Succeeded", "Failed", "Cancelled"]
    assert chart["series"][0]["data"] == [0, 1, 1, 0, 0]


def test_the_sentiment_chart_gives_weekly_shares_in_percent(superuser_client):
    home_data(now=timezone.now())

    chart = superuser_client.get(chart_url("sentiment")).json()

    assert chart["percent"] is True and len(chart["labels"]) == 12
    shares = {series["key"]: series["data"][-1] for series in chart["series"]}
    assert shares == {"negative": 50.0, "neutral": 0.0, "positive": 50.0}
    assert chart["series"][0]["data"][0] is None  # a week without reviews has no share


def test_chart_endpoints_need_the_permission_of_their_section():
    assert staff_with().get(chart_url("orders")).status_code == 403
    assert staff_with("shop.view_order").get(chart_url("orders")).status_code == 200
    assert staff_with("shop.view_order").get(chart_url("jobs")).status_code == 403
    assert staff_with("ml.view_job").get(chart_url("nope")).status_code == 404
    assert Client().get(chart_url("orders")).status_code == 302


def test_the_chart_library_is_vendored_with_its_licence_and_version():
    vendor = Path(settings.BASE_DIR) / "insights" / "static" / "insights" / "vendor"

    assert (vendor / "chart.umd.min.js").read_text()[:40].startswith("/*!\n * Chart.js v4.")
    assert "MIT License" in (vendor / "LICENSE.md").read_text()
    assert "4.6.1" in (vendor / "README.md").read_text()
