"""The behaviour-cluster run on a small constructed store with the real packaged encoder: the
planted customers are recovered and named from their facts, refusers are left out, a rerun
replaces the assignments, names from the generator are checked, and staff rename."""

import pytest

from insights.exceptions import NotEnoughData
from insights.models import BehaviourCluster, BehaviourClusterAssignment, BehaviourClusterRun
from insights.services import clusters as services
from ml.serving import encoder_engine
from tests.insights.cluster_fixtures import build_cluster_store

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def embed():
    return encoder_engine().embed


def members(cluster: BehaviourCluster) -> set[str]:
    return set(cluster.assignments.values_list("customer__name", flat=True))


def test_the_run_recovers_the_planted_customers_and_names_them_from_the_facts(embed):
    store = build_cluster_store()

    result = services.behaviour_clusters_compute(k=2, embed=embed)

    run = BehaviourClusterRun.objects.get()
    assert (run.k, run.customers) == (2, 12)
    by_name = {cluster.name: cluster for cluster in result.clusters}
    assert set(by_name) == {"Premium dresses regulars who review", "Lapsed bargain socks browsers"}
    premium = by_name["Premium dresses regulars who review"]
    assert members(premium) == {c.name for c in store["premium"]}
    assert premium.name_source == BehaviourCluster.NameSource.RULE
    assert premium.facts["top_categories"] == [{"name": "Dresses", "share": 1.0}]
    assert premium.facts["price_level"] == 1.6
    assert premium.facts["orders_per_customer"] == 3.0
    bargain = by_name["Lapsed bargain socks browsers"]
    assert members(bargain) == {c.name for c in store["bargain"]}
    assert bargain.facts["price_level"] == 0.4
    assert bargain.facts["search_share"] == 0.5
    assert "text_pc1" in run.features


def test_customers_who_refuse_profiling_or_barely_visit_are_left_out(embed):
    store = build_cluster_store()

    services.behaviour_clusters_compute(k=2, embed=embed)

    left_out = [c.pk for c in store["left_out"]]
    assert not BehaviourClusterAssignment.objects.filter(customer_id__in=left_out).exists()


def test_a_rerun_replaces_every_assignment_and_names_its_clusters_again(embed):
    build_cluster_store()
    first = services.behaviour_clusters_compute(k=2, embed=embed)
    services.behaviour_cluster_rename(cluster_id=first.clusters[0].pk, name="VIPs")

    second = services.behaviour_clusters_compute(k=3, embed=embed)

    assert set(BehaviourClusterAssignment.objects.values_list("run_id", flat=True)) == {
        second.run.pk
    }
    assert BehaviourClusterAssignment.objects.count() == 12
    assert "VIPs" not in {c.name for c in second.clusters}
    assert BehaviourCluster.objects.get(pk=first.clusters[0].pk).name == "VIPs"


def test_generator_names_are_used_only_when_they_pass_the_check(embed):
    build_cluster_store()

    def namer(prompts):
        # The sock cluster's proposal names a category outside its facts: it must fall back.
        return ["Silk lovers" if "Dresses" in prompt else "Dresses fans" for prompt in prompts]

    result = services.behaviour_clusters_compute(k=2, embed=embed, namer=namer)

    names = {c.facts["top_categories"][0]["name"]: c for c in result.clusters}
    assert (names["Dresses"].name, names["Dresses"].name_source) == ("Silk lovers", "generator")
    assert names["Dresses"].rule_name == "Premium dresses regulars who review"
    assert (names["Socks"].name, names["Socks"].name_source) == (
        "Lapsed bargain socks browsers",
        "rule",
    )
    assert result.run.notes.startswith("1/2 names by the generator.")


def test_a_failing_generator_leaves_names_built_from_the_facts(embed):
    build_cluster_store()

    def namer(prompts):
        raise RuntimeError("no model here")

    result = services.behaviour_clusters_compute(k=2, embed=embed, namer=namer)

    assert {c.name_source for c in result.clusters} == {"rule"}
    assert "Generator unavailable" in result.run.notes


def test_too_few_customers_is_refused_and_nothing_is_saved(embed):
    with pytest.raises(NotEnoughData, match="0 customers can be clustered"):
        services.behaviour_clusters_compute(embed=embed)

    assert not BehaviourClusterRun.objects.exists()


def test_staff_rename_marks_the_name_as_staffs_and_refuses_an_empty_name(embed):
    build_cluster_store()
    cluster = services.behaviour_clusters_compute(k=2, embed=embed).clusters[0]

    services.behaviour_cluster_rename(cluster_id=cluster.pk, name="  Big   spenders ")
    with pytest.raises(ValueError, match="empty"):
        services.behaviour_cluster_rename(cluster_id=cluster.pk, name="   ")

    cluster.refresh_from_db()
    assert (cluster.name, cluster.name_source) == ("Big spenders", "staff")
