"""RFM measures, quintile scores and the segment rules on constructed customers."""

import datetime as dt
import itertools
import random

import pytest

from insights.customer_engine.rfm import (
    SEGMENT_RULES,
    RfmMeasures,
    quintile_scores,
    rfm_from_transactions,
    rfm_measures,
    rfm_scores,
    segment_for,
)

AS_OF = dt.date(2025, 6, 30)
# Five recency values (days since the last order, best last) and five order counts (worst
# first). Every grid customer below takes one of each, so each value is shared by exactly a
# fifth of the population and its score is its position: R = 1..5, F = 1..5.
RECENCY_DAYS_BY_SCORE = {1: 400, 2: 200, 3: 100, 4: 30, 5: 5}
ORDERS_BY_SCORE = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}

EXPECTED_GRID = {
    # R: segments for F = 1, 2, 3, 4, 5
    5: ["new", "potential_loyalists", "potential_loyalists", "champions", "champions"],
    4: ["new", "potential_loyalists", "potential_loyalists", "loyal", "loyal"],
    3: ["hibernating", "hibernating", "hibernating", "loyal", "loyal"],
    2: ["hibernating", "hibernating", "at_risk", "at_risk", "at_risk"],
    1: ["lost", "lost", "at_risk", "at_risk", "at_risk"],
}


def orders_of(customer_id, *, recency_days, orders, amount=20.0):
    """Rows of a customer whose last order was `recency_days` before AS_OF, one a week before."""
    last = AS_OF - dt.timedelta(days=recency_days)
    return [(customer_id, last - dt.timedelta(weeks=k), amount) for k in range(orders)]


def grid_population():
    """One customer per (R, F) cell, named "r<R>f<F>"."""
    rows = []
    for r, f in itertools.product(range(1, 6), range(1, 6)):
        rows += orders_of(
            f"r{r}f{f}", recency_days=RECENCY_DAYS_BY_SCORE[r], orders=ORDERS_BY_SCORE[f]
        )
    return rows


@pytest.fixture(scope="module")
def grid_scores():
    return {
        score.customer_id: score for score in rfm_from_transactions(grid_population(), as_of=AS_OF)
    }


def test_measures_are_days_since_last_order_order_count_and_total_spend():
    rows = [
        ("ann", dt.date(2025, 6, 1), 10.0),
        ("ann", dt.date(2025, 6, 20), 15.5),
        ("ann", dt.date(2025, 7, 2), 99.0),  # after as_of: ignored
        ("bob", dt.datetime(2025, 1, 10, 23, 0, tzinfo=dt.UTC), "30.25"),
        ("cat", dt.date(2025, 7, 1), 5.0),  # only after as_of: not a customer yet
    ]
    assert rfm_measures(rows, as_of=AS_OF) == [
        RfmMeasures("ann", 10, 2, 25.5),
        RfmMeasures("bob", 171, 1, 30.25),
    ]


def test_distinct_values_split_into_exact_quintiles():
    assert quintile_scores(list(range(1, 11))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_lower_is_better_reverses_the_scores():
    assert quintile_scores([5, 30, 100, 200, 400], higher_is_better=False) == [5, 4, 3, 2, 1]


def test_ties_share_one_score_and_the_bottom_tie_group_scores_one():
    # Six one-time buyers (60%): all 1, whatever their position in the input.
    assert quintile_scores([1, 1, 1, 1, 1, 1, 2, 3, 4, 5]) == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]


def test_scores_do_not_depend_on_input_order():
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9]
    shuffled = values[:]
    random.Random(7).shuffle(shuffled)
    by_value = dict(zip(values, quintile_scores(values), strict=True))
    assert quintile_scores(shuffled) == [by_value[v] for v in shuffled]


def test_quintile_scores_reject_nan_and_accept_nothing():
    assert quintile_scores([]) == []
    with pytest.raises(ValueError, match="NaN"):
        quintile_scores([1.0, float("nan")])


def test_grid_customers_get_their_intended_scores(grid_scores):
    for r, f in itertools.product(range(1, 6), range(1, 6)):
        score = grid_scores[f"r{r}f{f}"]
        assert (score.r, score.f) == (r, f)


def test_every_grid_cell_lands_in_the_documented_segment(grid_scores):
    for r, segments in EXPECTED_GRID.items():
        for f, segment in enumerate(segments, start=1):
            assert grid_scores[f"r{r}f{f}"].segment == segment, (r, f)


@pytest.mark.parametrize(
    ("customer", "segment"),
    [
        ("r5f5", "champions"),  # ordered 5 days ago, 16 orders
        ("r4f4", "loyal"),  # 30 days ago, 8 orders
        ("r5f2", "potential_loyalists"),  # 5 days ago, 2 orders
        ("r5f1", "new"),  # 5 days ago, first order
        ("r1f5", "at_risk"),  # 16 orders, the last 400 days ago
        ("r2f1", "hibernating"),  # one order 200 days ago
        ("r1f1", "lost"),  # one order 400 days ago
    ],
)
def test_each_segment_is_reached_by_a_hand_built_customer(grid_scores, customer, segment):
    assert grid_scores[customer].segment == segment


def test_segment_rules_partition_every_score_triple():
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        matching = [rule.key for rule in SEGMENT_RULES if rule.matches(r, f, m)]
        assert len(matching) == 1, (r, f, m, matching)


def test_the_seven_segments_have_readable_rules():
    assert [(rule.name, rule.rule) for rule in SEGMENT_RULES] == [
        ("Champions", "R 5 and F 4-5"),
        ("Loyal", "R 3-4 and F 4-5"),
        ("Potential loyalists", "R 4-5 and F 2-3"),
        ("New", "R 4-5 and F 1"),
        ("At risk", "R 1-2 and F 3-5"),
        ("Hibernating", "(R 2-3 and F 1-2) or (R 3 and F 3)"),
        ("Lost", "R 1 and F 1-2"),
    ]
    assert all(rule.description for rule in SEGMENT_RULES)


def test_a_custom_rule_list_that_misses_a_customer_leaves_the_segment_empty():
    only_champions = SEGMENT_RULES[:1]
    assert segment_for(1, 1, 1, only_champions) is None
    [score] = rfm_scores([RfmMeasures("solo", 3, 1, 9.0)], rules=only_champions)
    # Alone, a customer is "worse" than nobody: every score is 1.
    assert (score.r, score.f, score.m, score.segment, score.cell) == (1, 1, 1, "", "111")


def test_monetary_is_scored_but_does_not_move_the_segment():
    big, small, _, _ = rfm_scores(
        [
            RfmMeasures("big", 5, 1, 1000.0),
            RfmMeasures("small", 5, 1, 10.0),
            RfmMeasures("old", 400, 3, 50.0),
            RfmMeasures("older", 400, 3, 60.0),
        ]
    )
    assert (big.r, big.f) == (small.r, small.f)
    assert big.m > small.m
    assert big.segment == small.segment
