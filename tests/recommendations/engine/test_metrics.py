import math

import numpy as np
import pytest

from recommendations.engine.metrics import (
    coverage,
    evaluate,
    exposure_by_group,
    hit_rate,
    mrr,
    ndcg,
    popularity_bias,
    popularity_percentiles,
    precision,
    price_tiers,
    target_ranks,
    top_k,
)


def test_target_rank_ignores_history_items_but_not_the_target():
    scores = np.array([[0.9, 0.8, 0.7, 0.6]])
    # Item 0 outranks the target 2 but is in the history; item 1 is not.
    ranks = target_ranks(scores, np.array([2]), [np.array([0, 2])])

    assert ranks.tolist() == [1]


def test_target_rank_breaks_ties_by_item_index_like_a_top_k_list():
    scores = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])

    ranks = target_ranks(scores, np.array([0, 3]))

    assert ranks.tolist() == [0, 3]


def test_target_rank_leaves_the_scores_unchanged():
    scores = np.array([[0.5, 0.1]])
    target_ranks(scores, np.array([1]), [np.array([0])])

    assert scores.tolist() == [[0.5, 0.1]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_target_rank_equals_ranking_the_masked_scores(dtype):
    # The definition, computed the long way: mask a copy, then count per row.
    rng = np.random.default_rng(4)
    scores = rng.integers(0, 5, size=(60, 40)).astype(dtype)  # ties everywhere
    scores[rng.random(scores.shape) < 0.1] = -np.inf
    scores[0, :] = -np.inf  # a target (and everything else) at -inf
    targets = rng.integers(0, 40, size=60)
    histories = [rng.integers(0, 40, size=rng.integers(0, 8)) for _ in range(60)]
    histories[1] = np.array([targets[1], 3, 3, targets[1]])  # repeats, the target among them
    expected = []
    for row, target, history in zip(scores, targets, histories, strict=True):
        masked = row.copy()
        masked[[i for i in history if i != target]] = -np.inf
        above = np.count_nonzero(masked > masked[target])
        expected.append(above + np.count_nonzero(masked[:target] == masked[target]))

    assert target_ranks(scores, targets, histories).tolist() == expected
    assert target_ranks(scores, targets).tolist() == [
        np.count_nonzero(r > r[t]) + np.count_nonzero(r[:t] == r[t])
        for r, t in zip(scores, targets, strict=True)
    ]


def test_ranking_metrics_match_hand_computed_values():
    ranks = np.array([0, 2, 10, 4])

    assert hit_rate(ranks, 3) == 0.5
    assert precision(ranks, 5) == pytest.approx(3 / 4 / 5)
    assert ndcg(ranks, 3) == pytest.approx((1 / math.log2(2) + 1 / math.log2(4)) / 4)
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 1 / 11 + 1 / 5) / 4)


def test_metrics_of_no_users_are_zero():
    empty = np.zeros(0, dtype=np.int64)

    assert hit_rate(empty, 10) == ndcg(empty, 10) == mrr(empty) == 0.0


def test_coverage_counts_distinct_recommended_items():
    assert coverage(np.array([[0, 1], [1, 2]]), num_items=6) == 0.5


def test_popularity_percentile_is_the_share_of_items_with_a_lower_count():
    counts = np.array([5, 1, 3, 3])

    assert popularity_percentiles(counts).tolist() == [0.75, 0.0, 0.25, 0.25]
    assert popularity_bias(np.array([[0, 1]]), counts) == pytest.approx(0.375)


def test_exposure_by_group_compares_shown_share_with_catalogue_share():
    groups = ["a", "a", "a", "b"]

    report = exposure_by_group(np.array([[3, 0], [3, 3]]), groups)

    assert report["b"] == {"exposure": 0.75, "catalogue_share": 0.25, "ratio": 3.0}
    assert report["a"]["exposure"] == 0.25


def test_price_tiers_are_the_catalogues_own_terciles():
    tiers = price_tiers([1.0, 2.0, 3.0, 10.0, 20.0, 30.0, None, 100.0, 200.0])

    assert [tier.split(" ")[0] for tier in tiers] == [
        "low", "low", "low", "mid", "mid", "high", "(no", "high", "high"
    ]  # fmt: skip
    assert tiers[0] == "low (< 5.33)"  # the label carries the range
    assert price_tiers([None, None]) == ["(no price)", "(no price)"]


def test_evaluate_reports_exposure_by_price_tier_when_given_tiers():
    table = np.array([[0.0, 0.0, 0.9, 0.8], [0.0, 0.0, 0.9, 0.8]])

    result = evaluate(
        lambda histories: table[: len(histories)],
        [np.array([0]), np.array([1])],
        np.array([2, 3]),
        ks=(2,),
        item_tiers=["cheap", "cheap", "dear", "dear"],
    )

    # Every slot goes to the dear half of the catalogue: twice its share, none for cheap.
    assert result["exposure_price@2"]["dear"]["ratio"] == 2.0
    assert result["exposure_price@2"]["cheap"]["ratio"] == 0.0


def test_top_k_orders_by_score_then_item_index():
    scores = np.array([[0.1, 0.5, 0.5, 0.9, 0.5]])

    assert top_k(scores, 3).tolist() == [[3, 1, 2]]


@pytest.mark.parametrize("k", [1, 5, 50, 200])
def test_top_k_is_a_stable_sort_cut_at_k_even_inside_ties(k):
    # Few distinct values, so most rows have a tie at the k-th score; some items banned.
    rng = np.random.default_rng(k)
    scores = rng.integers(0, 6, size=(40, 200)).astype(np.float32)
    scores[rng.random(scores.shape) < 0.2] = -np.inf

    expected = np.argsort(-scores, axis=1, kind="stable")[:, :k]

    assert np.array_equal(top_k(scores, k), expected)


def test_evaluate_scores_every_user_in_batches():
    table = np.array([[0.1, 0.9, 0.5], [0.9, 0.1, 0.5]])

    def scorer(histories):
        return np.stack([table[int(h[0])] for h in histories])

    histories = [np.array([0]), np.array([1])]
    result = evaluate(
        scorer, histories, np.array([2, 2]), ks=(1, 2), batch_size=1, item_counts=np.ones(3)
    )

    # User 0: item 1 ranks first, target 2 second; user 1: history item 1 excluded, item 0
    # first, target second as well.
    assert result["hr@1"] == 0.0
    assert result["hr@2"] == 1.0
    assert result["ndcg@2"] == pytest.approx(1 / math.log2(3))
    assert result["mrr"] == 0.5
    assert result["coverage@2"] == 1.0
