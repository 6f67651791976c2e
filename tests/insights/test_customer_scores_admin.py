"""Admin of customer segments and value: the scores changelist, the Customer segments page
with its recompute button, the panel on the customer page, and who may see them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insights.admin.customers import CustomerScoreAdmin
from insights.models import CustomerScore, CustomerSegmentSnapshot
from insights.services.customers import customer_scores_recompute
from ml.models import Job
from tests.factories.api import StaffFactory
from tests.factories.shop import CustomerFactory
from tests.insights.customer_scores_fixtures import build_store, place_order
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/insights/customerscore/"
SEGMENTS = "/admin/insights/segments/"
RECOMPUTE = "/admin/insights/segments/recompute/"


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def scored_store():
    customers = build_store()
    customer_scores_recompute()
    return customers


def group_client(client, group_name: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group_name))
    client.force_login(user)
    return client


def panel_url(customer) -> str:
    return reverse("insights:customer-panel", args=[customer.pk])


# --- scores changelist ---------------------------------------------------------------------


def test_scores_changelist_lists_every_customer_by_lifetime_value(admin_client, scored_store):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert len(rows) == 10
    clvs = [row.clv for row in rows]
    assert clvs == sorted(clvs, reverse=True)
    assert "Customer segments" in response.content.decode()


def test_scores_changelist_filters_by_segment(admin_client, scored_store):
    response = admin_client.get(CHANGELIST, {"segment__exact": "at_risk"})

    names = {row.customer.name for row in response.context["cl"].result_list}
    assert names == {"at_risk_h", "at_risk_i"}


def test_scores_changelist_filters_by_rfm_score(admin_client, scored_store):
    response = admin_client.get(CHANGELIST, {"r_score": "1", "f_score": "4"})

    names = {row.customer.name for row in response.context["cl"].result_list}
    assert names == {"at_risk_i"}


def test_scores_changelist_orders_by_churn_risk(admin_client, scored_store):
    column = CustomerScoreAdmin.list_display.index("churn_risk_column")

    response = admin_client.get(CHANGELIST, {"o": f"-{column}"})  # descending

    risks = [row.churn_risk for row in response.context["cl"].result_list]
    assert risks == sorted(risks, reverse=True)
    assert risks[0] > risks[-1]


def test_scores_changelist_paginates_and_runs_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
):
    place_order(CustomerFactory(), days_ago=1)
    place_order(CustomerFactory(), days_ago=9)
    customer_scores_recompute()
    admin_client.get(CHANGELIST)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for days in range(60):
        place_order(CustomerFactory(), days_ago=days)
    customer_scores_recompute()

    # session, user, count, one page of rows (with their customers); filters need none.
    with django_assert_num_queries(len(few)):
        response = admin_client.get(CHANGELIST)

    assert len(few) == 4
    assert len(response.context["cl"].result_list) == 50  # list_per_page
    assert response.context["cl"].result_count == 62


def test_scores_are_read_only_in_the_admin(admin_client, scored_store):
    score = CustomerScore.objects.first()

    assert admin_client.get(CHANGELIST + "add/").status_code == 403
    response = admin_client.post(reverse("admin:insights_customerscore_delete", args=[score.pk]))
    assert response.status_code == 403
    assert admin_client.get("/admin/insights/customervaluerun/").status_code == 200


# --- segments page -------------------------------------------------------------------------


def test_segments_page_lists_each_segment_with_rule_size_share_and_value(
    admin_client, scored_store
):
    response = admin_client.get(SEGMENTS)

    assert response.status_code == 200
    page = response.content.decode()
    rows = {row["key"]: row for row in response.context["summary"]["segments"]}
    assert list(rows) == [
        "champions",
        "loyal",
        "potential_loyalists",
        "new",
        "at_risk",
        "hibernating",
        "lost",
    ]
    assert (rows["hibernating"]["count"], rows["hibernating"]["share"]) == (3, 0.3)
    assert rows["champions"]["mean_clv"] > rows["at_risk"]["mean_clv"]
    assert rows["loyal"]["mean_clv"] is None
    assert "R 5 and F 4-5" in page  # the champions' rule
    assert "(R 2-3 and F 1-2) or (R 3 and F 3)" in page  # the hibernating rule
    assert "?segment__exact=at_risk" in page
    assert "30%" in page
    assert "Recompute segments and value now" in page
    assert "BG/NBD" in page


def test_segments_page_shows_sizes_over_time(admin_client, scored_store):
    CustomerSegmentSnapshot.objects.create(
        date=timezone.localdate() - timedelta(days=7), segment="champions", customers=1
    )

    response = admin_client.get(SEGMENTS)

    history = response.context["history"]
    assert [day["date"] for day in history] == [
        timezone.localdate(),
        timezone.localdate() - timedelta(days=7),
    ]
    assert history[0]["total"] == 10
    assert history[1]["segments"][0] == {
        "key": "champions",
        "name": "Champions",
        "count": 1,
        "share": 1.0,
    }
    assert 'id="segment-history"' in response.content.decode()


def test_segments_page_before_the_first_run_says_so(admin_client):
    response = admin_client.get(SEGMENTS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Customers have not been scored yet." in page
    assert "No daily snapshots yet" in page


def test_segments_page_runs_a_fixed_number_of_queries(
    admin_client, scored_store, django_assert_num_queries
):
    admin_client.get(SEGMENTS)

    # session, user, segment sizes, history, latest run, queued job
    with django_assert_num_queries(6):
        admin_client.get(SEGMENTS)


def test_recompute_button_queues_the_job(admin_client):
    response = admin_client.post(RECOMPUTE, follow=True)

    job = Job.objects.get()
    assert (job.kind, job.status) == ("customer_scores", Job.Status.QUEUED)
    page = response.content.decode()
    assert f"job #{job.pk}" in page
    assert "A recompute is waiting for a worker" in page


def test_recompute_reuses_a_queued_job(admin_client):
    admin_client.post(RECOMPUTE)
    admin_client.post(RECOMPUTE)

    assert Job.objects.count() == 1


def test_recompute_is_a_post(admin_client):
    assert admin_client.get(RECOMPUTE).status_code == 405
    assert not Job.objects.exists()


def test_recompute_needs_the_job_permission(client):
    group_client(client, "Support agents")  # may view scores, may not start jobs

    assert client.get(SEGMENTS).status_code == 200
    assert "Recompute segments and value now" not in client.get(SEGMENTS).content.decode()
    assert client.post(RECOMPUTE).status_code == 403
    assert not Job.objects.exists()


def test_store_staff_may_recompute(client):
    group_client(client, "Store staff")

    assert client.post(RECOMPUTE).status_code == 302
    assert Job.objects.filter(kind="customer_scores").exists()


def test_staff_who_do_not_see_customers_see_no_scores(client, scored_store):
    group_client(client, "Marketers")

    assert client.get(SEGMENTS).status_code == 403
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(panel_url(scored_store["lost"])).status_code == 403
    assert client.post(RECOMPUTE).status_code == 403


@pytest.mark.parametrize("group_name", ["Store staff", "Support agents", "Data scientists"])
def test_the_groups_that_see_customers_see_their_scores(client, scored_store, group_name):
    group_client(client, group_name)

    assert client.get(SEGMENTS).status_code == 200
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(panel_url(scored_store["lost"])).status_code == 200


# --- the customer page ---------------------------------------------------------------------


def test_customer_page_loads_the_panel(admin_client, scored_store):
    customer = scored_store["champion_a"]

    response = admin_client.get(reverse("admin:shop_customer_change", args=[customer.pk]))

    assert response.status_code == 200
    assert f'hx-get="{panel_url(customer)}"' in response.content.decode()


def test_customer_panel_shows_segment_rule_scores_churn_and_value(admin_client, scored_store):
    customer = scored_store["at_risk_i"]
    score = CustomerScore.objects.get(customer=customer)

    response = admin_client.get(panel_url(customer))

    assert response.status_code == 200
    page = response.content.decode()
    assert "At risk" in page
    assert "R 1-2 and F 3-5" in page
    assert "Bought often, but not for a long time." in page
    assert "R 1 · F 4 · M 4" in page
    assert f"{round(100 * score.churn_risk)}%" in page
    assert f"{score.expected_purchases:.2f}" in page
    assert str(score.clv) in page
    assert "next 12 months" in page


def test_customer_panel_of_an_unscored_customer_says_why(admin_client):
    customer = CustomerFactory()

    response = admin_client.get(panel_url(customer))

    assert response.status_code == 200
    assert "Not scored yet" in response.content.decode()


def test_customer_panel_of_an_unknown_customer_is_404(admin_client):
    assert admin_client.get(reverse("insights:customer-panel", args=[999_999])).status_code == 404
