"""Admin of behaviour clusters and search insights: the pages render their facts with a
bounded number of queries, staff rename a cluster, the customer list filters by cluster and
exports, the run buttons queue jobs, and who may see what."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from insights.models import BehaviourCluster, BehaviourClusterAssignment
from insights.services import clusters as services
from insights.services import search_insights as search_services
from ml.models import Job
from ml.serving import encoder_engine
from tests.factories.api import StaffFactory
from tests.insights.cluster_fixtures import build_cluster_store
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ASSIGNMENTS = "/admin/insights/behaviourclusterassignment/"


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def clustered():
    store = build_cluster_store()
    result = services.behaviour_clusters_compute(k=2, embed=encoder_engine().embed)
    return store, result


def test_clusters_page_shows_each_cluster_with_facts_and_nearest_customers(
    admin_client, clustered, django_assert_max_num_queries
):
    store, result = clustered

    with django_assert_max_num_queries(20):
        response = admin_client.get(reverse("insights:clusters"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Premium dresses regulars who review" in page and "Lapsed bargain socks browsers" in page
    assert "Dresses 100%" in page
    assert store["premium"][0].name in page
    assert 'id="silhouette-table"' in page
    assert reverse("insights:clusters-chart") in page


def test_clusters_page_before_the_first_run_says_so(admin_client):
    response = admin_client.get(reverse("insights:clusters"))

    assert "Customers have not been clustered yet." in response.content.decode()


def test_cluster_sizes_chart_is_json_of_the_latest_run(admin_client, clustered):
    response = admin_client.get(reverse("insights:clusters-chart"))

    payload = response.json()
    assert sorted(payload["series"][0]["data"]) == [6, 6]
    assert len(payload["labels"]) == 2


def test_staff_rename_a_cluster_in_the_admin(admin_client, clustered):
    cluster = clustered[1].clusters[0]
    url = reverse("admin:insights_behaviourcluster_change", args=[cluster.pk])

    response = admin_client.post(url, {"name": "Weekend shoppers"})

    assert response.status_code == 302
    cluster.refresh_from_db()
    assert (cluster.name, cluster.name_source) == ("Weekend shoppers", "staff")
    assert cluster.renamed_by is not None


def test_an_empty_rename_is_refused_with_a_field_error(admin_client, clustered):
    cluster = clustered[1].clusters[0]
    url = reverse("admin:insights_behaviourcluster_change", args=[cluster.pk])

    response = admin_client.post(url, {"name": ""})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert BehaviourCluster.objects.get(pk=cluster.pk).name_source == "rule"


def test_customer_list_filters_by_cluster_and_exports_csv(admin_client, clustered):
    store, result = clustered
    premium = next(c for c in result.clusters if c.name.startswith("Premium"))

    listing = admin_client.get(f"{ASSIGNMENTS}?cluster__id__exact={premium.pk}")
    ids = [str(pk) for pk in BehaviourClusterAssignment.objects.filter(cluster=premium)
           .values_list("pk", flat=True)]  # fmt: skip
    export = admin_client.post(
        f"{ASSIGNMENTS}?cluster__id__exact={premium.pk}",
        {"action": "export_csv", "_selected_action": ids},
    )

    page = listing.content.decode()
    assert all(c.name in page for c in store["premium"])
    assert not any(c.name in page for c in store["bargain"])
    csv_text = b"".join(export.streaming_content).decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0] == "customer_id,external_id,email,name,marketing_consent,cluster,distance"
    assert len(lines) == 7
    assert store["premium"][0].email in csv_text


def test_run_buttons_queue_a_job_once(admin_client):
    admin_client.post(reverse("insights:clusters-run"))
    admin_client.post(reverse("insights:clusters-run"))
    admin_client.post(reverse("insights:search-run"))

    assert Job.objects.filter(kind="behaviour_clusters").count() == 1
    assert Job.objects.filter(kind="search_insights").count() == 1


def test_search_page_shows_topics_rising_and_unmet_with_the_rules(
    admin_client, django_assert_max_num_queries
):
    from tests.insights.test_search_insights import search

    for day in (1, 2, 3):
        search("lawn mower", days_ago=day)
        search("red dress", days_ago=day)
    search_services.search_insights_compute(weeks=4, embed=encoder_engine().embed)

    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse("insights:search-topics"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="unmet-table"' in page and "lawn mower (3)" in page
    assert 'id="rising-table"' in page
    assert "similarity to every active product" in page
    chart = admin_client.get(reverse("insights:search-chart")).json()
    assert chart["series"][0]["data"][-1] == 6


def test_marketers_see_and_rename_clusters_and_support_agents_do_not(client, clustered):
    cluster = clustered[1].clusters[0]
    marketer = StaffFactory()
    marketer.groups.add(Group.objects.get(name="Marketers"))
    agent = StaffFactory()
    agent.groups.add(Group.objects.get(name="Support agents"))

    client.force_login(marketer)
    assert client.get(reverse("insights:clusters")).status_code == 200
    change = reverse("admin:insights_behaviourcluster_change", args=[cluster.pk])
    assert client.post(change, {"name": "Renamed"}).status_code == 302
    client.force_login(agent)
    assert client.get(reverse("insights:clusters")).status_code == 403


def test_the_admin_index_links_both_pages(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert reverse("insights:clusters") in page
    assert reverse("insights:search-topics") in page


def test_the_customer_panel_names_the_customers_cluster(admin_client, clustered):
    assignment = BehaviourClusterAssignment.objects.select_related("cluster").first()
    url = reverse("insights:customer-panel", args=[assignment.customer_id])
    body = admin_client.get(url).content.decode()
    assert "Behaviour cluster: <a href=" in body and assignment.cluster.name in body
    assert f'#cluster-{assignment.cluster.pk}"' in body
    # The profile's statement names the cluster as its source.
    assert "(from behaviour cluster)" in body
