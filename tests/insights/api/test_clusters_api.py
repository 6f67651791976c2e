"""Staff API of behaviour clusters and search topics: permissions, payloads, pagination and
400 on bad parameters."""

import pytest
from rest_framework.test import APIClient

from insights.models import BehaviourCluster
from insights.services import clusters as services
from ml.serving import encoder_engine
from tests.factories.api import CustomerFactory, StaffFactory, grant, token_client
from tests.insights.cluster_fixtures import build_cluster_store

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

CLUSTERS = "/api/v1/insights/clusters/"
TOPICS = "/api/v1/insights/search-topics/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clustered():
    store = build_cluster_store()
    return store, services.behaviour_clusters_compute(k=2, embed=encoder_engine().embed)


def staff(*permissions):
    return token_client(grant(StaffFactory(), *permissions))


def customers_url(cluster) -> str:
    return f"{CLUSTERS}{cluster.pk}/customers/"


@pytest.mark.parametrize("path", [CLUSTERS, TOPICS])
def test_anonymous_callers_are_refused(path):
    assert APIClient().get(path).status_code in (401, 403)


@pytest.mark.parametrize("path", [CLUSTERS, TOPICS])
def test_customers_are_refused(path):
    assert token_client(CustomerFactory().user).get(path).status_code == 403


@pytest.mark.parametrize("path", [CLUSTERS, TOPICS])
def test_staff_without_the_permission_are_refused(path):
    assert staff().get(path).status_code == 403


def test_cluster_list_before_the_first_run_is_empty():
    response = staff("insights.view_behaviourcluster").get(CLUSTERS)

    assert response.status_code == 200
    assert response.json()["results"] == [] and response.json()["run_id"] is None


def test_cluster_list_shows_the_latest_runs_clusters(clustered, django_assert_num_queries):
    client = staff("insights.view_behaviourcluster")

    # Token, user and two permission lookups; the run; its clusters.
    with django_assert_num_queries(5):
        response = client.get(CLUSTERS)

    body = response.json()
    assert body["k"] == 2 and body["customers"] == 12
    assert {c["name"] for c in body["results"]} == {
        "Premium dresses regulars who review",
        "Lapsed bargain socks browsers",
    }
    assert {c["size"] for c in body["results"]} == {6}


def test_cluster_customers_are_paginated_nearest_first(clustered, django_assert_num_queries):
    store, result = clustered
    cluster = next(c for c in result.clusters if c.name.startswith("Premium"))
    client = staff("insights.view_behaviourclusterassignment")

    # Caller (3); the cluster; the latest run; the count; the page with its customers.
    with django_assert_num_queries(7):
        first = client.get(customers_url(cluster), {"page_size": 4}).json()
    second = client.get(customers_url(cluster), {"page_size": 4, "page": 2}).json()

    assert first["count"] == 6
    assert len(first["results"]) == 4 and len(second["results"]) == 2
    ids = [row["customer_id"] for row in first["results"] + second["results"]]
    assert set(ids) == {c.pk for c in store["premium"]}
    distances = [row["distance"] for row in first["results"] + second["results"]]
    assert distances == sorted(distances)


@pytest.mark.parametrize("params", [{"page": 0}, {"page_size": 501}, {"page": "x"}])
def test_bad_pagination_is_a_400_with_field_errors(clustered, params):
    cluster = clustered[1].clusters[0]

    response = staff("insights.view_behaviourclusterassignment").get(customers_url(cluster), params)

    assert response.status_code == 400
    assert set(params) <= set(response.json())


def test_unknown_and_earlier_clusters_are_404_with_a_code(clustered):
    client = staff("insights.view_behaviourclusterassignment")
    earlier = clustered[1].clusters[0]
    services.behaviour_clusters_compute(k=2, embed=encoder_engine().embed)

    unknown = client.get(f"{CLUSTERS}999999/customers/")
    stale = client.get(customers_url(earlier))

    assert (unknown.status_code, unknown.json()["code"]) == (404, "cluster_not_found")
    assert (stale.status_code, stale.json()["code"]) == (404, "cluster_not_current")
    assert BehaviourCluster.objects.count() == 4


@pytest.mark.parametrize("params", [{"kind": "nonsense"}, {"limit": 0}, {"rising": "maybe"}])
def test_bad_search_topic_parameters_are_a_400(params):
    response = staff("insights.view_searchtopic").get(TOPICS, params)

    assert response.status_code == 400


def test_search_topics_before_the_first_run_are_empty():
    response = staff("insights.view_searchtopic").get(TOPICS, {"kind": "unmet", "rising": "true"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_search_topics_list_the_latest_runs_topics_by_kind(django_assert_num_queries):
    from insights.services import search_insights as search_services
    from tests.insights.test_search_insights import search

    for day in (1, 2, 3):
        search("lawn mower", days_ago=day)
        search("winter coat", days_ago=day)
    search_services.search_insights_compute(weeks=4, embed=encoder_engine().embed)
    client = staff("insights.view_searchtopic")

    with django_assert_num_queries(5):
        unmet = client.get(TOPICS, {"kind": "unmet"}).json()
    rising = client.get(TOPICS, {"rising": "true"}).json()

    assert sorted(t["label"] for t in unmet["results"]) == ["lawn mower", "winter coat"]
    assert {t["volume"] for t in unmet["results"]} == {3}
    assert {t["kind"] for t in rising["results"]} == {"topic", "unmet"}
    assert all(t["rising"] for t in rising["results"])
    assert unmet["weekly_volume"] == [0, 0, 0, 6]
