"""The pure clustering engine: k-means on planted clusters, the silhouette's choice of k, the
adjusted Rand index, PCA, features, facts and names (no database, no model)."""

import numpy as np
import pytest

from insights.cluster_engine.describe import (
    ClusterFacts,
    cluster_facts,
    generated_name_check,
    naming_prompt,
    rule_name,
    rule_names,
)
from insights.cluster_engine.features import CustomerActivity, FeatureConfig, feature_matrix
from insights.cluster_engine.kmeans import (
    KMeansConfig,
    Pca,
    adjusted_rand_index,
    cosine_threshold_groups,
    kmeans,
    kmeans_choose_k,
    silhouette_score,
)


def planted(k: int, *, per_cluster: int = 60, dims: int = 5, spread: float = 1.0, seed: int = 1):
    """k Gaussian blobs with centres 8 apart on random axes; returns points and true labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dims))
    centres = 8 * centres / np.linalg.norm(centres, axis=1, keepdims=True)
    x = np.vstack([c + spread * rng.normal(size=(per_cluster, dims)) for c in centres])
    return x, np.repeat(np.arange(k), per_cluster)


def test_kmeans_recovers_planted_clusters():
    x, truth = planted(4)

    result = kmeans(x, KMeansConfig(k=4, seed=0))

    assert adjusted_rand_index(truth, result.labels) > 0.95
    assert sorted(np.bincount(result.labels)) == [60, 60, 60, 60]


def test_kmeans_is_deterministic_for_a_seed():
    x, _ = planted(3)

    first = kmeans(x, KMeansConfig(k=3, seed=7))
    second = kmeans(x, KMeansConfig(k=3, seed=7))

    assert np.array_equal(first.labels, second.labels)
    assert first.inertia == second.inertia


def test_kmeans_refuses_fewer_points_than_clusters():
    with pytest.raises(ValueError, match="cannot form 5 clusters"):
        kmeans(np.zeros((3, 2)), KMeansConfig(k=5))


def test_kmeans_returns_k_non_empty_clusters_on_duplicate_points():
    x = np.vstack([np.zeros((10, 2)), np.ones((2, 2))])

    result = kmeans(x, KMeansConfig(k=3, restarts=2))

    assert set(result.labels) == {0, 1, 2}


@pytest.mark.parametrize("k", [3, 5])
def test_silhouette_picks_the_planted_k(k):
    x, truth = planted(k, seed=k)

    choice = kmeans_choose_k(x, ks=range(2, 9), config=KMeansConfig(k=2, seed=0))

    assert choice.k == k
    assert set(choice.silhouettes) == set(range(2, 9))
    assert adjusted_rand_index(truth, choice.result.labels) > 0.95


def test_silhouette_is_near_one_for_tight_far_clusters_and_near_zero_for_noise():
    x, truth = planted(3, spread=0.01)
    noise = np.random.default_rng(0).normal(size=(200, 2))
    halves = (noise[:, 0] > 0).astype(int)

    assert silhouette_score(x, truth) > 0.99
    assert silhouette_score(noise, halves) < 0.5


def test_silhouette_on_a_sample_is_close_to_the_full_score():
    x, truth = planted(3, per_cluster=400)

    full = silhouette_score(x, truth, sample_size=5000)
    sampled = silhouette_score(x, truth, sample_size=300, seed=1)

    assert abs(full - sampled) < 0.05


def test_adjusted_rand_index_ignores_label_names_and_is_about_zero_by_chance():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, size=2000)

    assert adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    assert abs(adjusted_rand_index(a, rng.integers(0, 4, size=2000))) < 0.02


def test_pca_finds_the_direction_of_largest_variance():
    rng = np.random.default_rng(0)
    x = np.column_stack([10 * rng.normal(size=500), rng.normal(size=500), rng.normal(size=500)])

    pca = Pca.fit(x, components=1)

    assert abs(pca.components[0][0]) > 0.99
    assert pca.explained_variance_ratio[0] > 0.9


def test_cosine_threshold_groups_joins_close_directions_only():
    vectors = np.array([[1, 0.05, 0], [1, 0, 0.05], [0, 1, 0], [0.02, 1, 0], [0, 0, 1.0]])

    assert cosine_threshold_groups(vectors, max_distance=0.2).tolist() == [0, 0, 1, 1, 2]


def activity(customer_id, **kwargs) -> CustomerActivity:
    return CustomerActivity(customer_id=customer_id, **kwargs)


def test_features_standardise_behaviour_and_weight_the_text_block():
    activities = [
        activity(i, orders=i % 3, spend=40.0 * (i % 3), sessions=2 + i % 4, events=10,
                 views=6, searches=i % 5, category_items={"Dresses": 1 + i % 2})
        for i in range(40)
    ]  # fmt: skip
    rng = np.random.default_rng(0)
    texts = {i: rng.normal(size=16) for i in range(0, 40, 2)}

    matrix = feature_matrix(
        activities, categories=["Dresses"], text_vectors=texts,
        config=FeatureConfig(text_components=2, text_weight=1.0),
    )  # fmt: skip

    assert matrix.names[-2:] == ["text_pc1", "text_pc2"]
    assert matrix.x.shape == (40, len(matrix.names))
    behaviour = matrix.x[:, : matrix.names.index("text_pc1")]
    varying = behaviour.std(0) > 0
    assert np.allclose(behaviour[:, varying].std(0), 1.0)
    assert matrix.x[:, -2:].var(0).sum() == pytest.approx(1.0)


def facts(**overrides) -> ClusterFacts:
    values = dict(
        number=0, size=10, share=0.5, top_categories=[{"name": "Dresses", "share": 0.7}],
        price_level=1.3, price_band="premium", orders_per_customer=1.5, buyers_share=0.9,
        spend_per_customer=120.0, aov=80.0, conversion=0.3, search_share=0.1,
        reviews_per_customer=0.2, median_recency_days=12.0,
    )  # fmt: skip
    return ClusterFacts(**{**values, **overrides})


def test_rule_names_come_from_the_facts():
    assert rule_name(facts()) == "Premium dresses buyers"
    assert rule_name(facts(price_band="budget", buyers_share=0.1, median_recency_days=200,
                           top_categories=[{"name": "Jeans", "share": 0.5}])) == (
        "Lapsed bargain jeans browsers"
    )  # fmt: skip
    assert rule_name(facts(price_band="mid", top_categories=[], orders_per_customer=4)) == (
        "Regulars"
    )
    assert rule_name(facts(search_share=0.5, top_categories=[{"name": "Tops", "share": 0.2}])) == (
        "Premium searchers"
    )
    assert rule_name(facts(price_band="mid", reviews_per_customer=1.2)) == (
        "Dresses buyers who review"
    )


def test_repeated_rule_names_are_told_apart_by_cluster_number():
    names = rule_names([facts(number=0), facts(number=1), facts(number=2, price_band="mid")])

    assert names == [
        "Premium dresses buyers (cluster 1)",
        "Premium dresses buyers (cluster 2)",
        "Dresses buyers",
    ]


@pytest.mark.parametrize(
    "proposed",
    [
        None,
        "",
        "   ",
        "...",
        "A very long name for a group of shoppers who love dresses",  # too long
        "Jeans lovers",  # a category not in the facts
        "Dress and knits fans",  # plural of a category not in the facts
        " Lapsed deal hunters",  # a copy of the prompt's example
    ],
)
def test_a_generated_name_that_fails_the_check_is_not_used(proposed):
    checked = generated_name_check(
        proposed, facts=facts(), known_categories=["Dresses", "Jeans", "Knit"]
    )

    assert checked is None


def test_a_generated_name_that_passes_is_cleaned_and_kept():
    checked = generated_name_check(
        ' "dresses devotees". \nmore text', facts=facts(), known_categories=["Dresses", "Jeans"]
    )

    assert checked == "Dresses devotees"


def test_cluster_facts_summarise_members():
    activities = [
        activity(1, orders=2, spend=100.0, sessions=4, events=10, searches=5,
                 category_items={"Dresses": 3, "Tops": 1}, relative_price_sum=6.0, priced_items=4,
                 recency_days=10),
        activity(2, orders=0, spend=0.0, sessions=2, events=5, category_items={"Dresses": 1},
                 relative_price_sum=1.0, priced_items=1, recency_days=30),
        activity(3, orders=1, spend=10.0, sessions=1, events=2, recency_days=5),
    ]  # fmt: skip

    first, second = cluster_facts(activities, [0, 0, 1], k=2)

    assert first.size == 2 and second.size == 1
    assert first.top_categories == [{"name": "Dresses", "share": 0.875},
                                    {"name": "Tops", "share": 0.125}]  # fmt: skip
    assert first.price_level == pytest.approx((1.5 + 1.0) / 2)
    assert first.price_band == "premium"
    assert first.aov == 50.0
    assert first.buyers_share == 0.5
    assert first.conversion == pytest.approx(2 / 6, abs=1e-4)
    assert first.search_share == pytest.approx(5 / 15, abs=1e-4)
    assert first.median_recency_days == 20.0


def test_the_naming_prompt_holds_the_facts_and_ends_where_the_name_goes():
    prompt = naming_prompt(facts())

    assert prompt.endswith("Favourite categories: Dresses (70%)\nPrice level: premium\n"
                           "Orders per customer: 1.5; share who bought: 90%\n"
                           "Average order value: 80.00; share of searches: 10%\n"
                           "Days since last visit (median): 12\nName:")  # fmt: skip
