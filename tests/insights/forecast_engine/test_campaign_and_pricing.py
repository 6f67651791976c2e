"""Campaign lift recovers planted effects with honest intervals; elasticity is recovered
from price changes; price suggestions keep their guard rails."""

import math

import numpy as np
import pytest

from insights.forecast_engine.campaign import difference_in_differences, holdout_lift
from insights.forecast_engine.pricing import Elasticity, estimate_elasticity, suggest_price


def test_holdout_lift_recovers_a_planted_effect():
    rng = np.random.default_rng(0)
    holdout = rng.poisson(2.0, size=400)
    treated = rng.poisson(2.5, size=1600)  # +0.5 orders per customer

    lift = holdout_lift(treated, holdout)

    assert lift.low < 0.5 < lift.high
    assert lift.significant
    assert lift.incremental_total == pytest.approx(lift.effect * 1600)
    assert lift.total_interval[0] < 0.5 * 1600 < lift.total_interval[1]


def test_difference_in_differences_removes_a_common_trend():
    rng = np.random.default_rng(1)
    n = 300
    level_t, level_c = rng.gamma(5, 20, n), rng.gamma(5, 10, n)  # different levels
    trend = 15.0  # everybody sells more during the campaign period (season)
    treated_before = level_t + rng.normal(0, 10, n)
    control_before = level_c + rng.normal(0, 10, n)
    treated_during = level_t + trend + 8.0 + rng.normal(0, 10, n)  # planted +8 revenue
    control_during = level_c + trend + rng.normal(0, 10, n)

    lift = difference_in_differences(treated_before, treated_during, control_before, control_during)

    assert lift.design == "difference_in_differences"
    assert lift.low < 8.0 < lift.high
    assert lift.effect == pytest.approx(8.0, abs=3.0)


def test_intervals_cover_the_planted_effect_about_95_percent_of_the_time():
    rng = np.random.default_rng(2)
    covered = 0
    for _ in range(300):
        lift = holdout_lift(rng.normal(1.3, 1, 60), rng.normal(1.0, 1, 40))
        covered += lift.low <= 0.3 <= lift.high
    assert 0.91 <= covered / 300 <= 0.99


def test_no_effect_gives_an_interval_around_zero():
    rng = np.random.default_rng(3)
    lift = holdout_lift(rng.normal(5, 2, 500), rng.normal(5, 2, 500))
    assert lift.low < 0 < lift.high and not lift.significant


@pytest.mark.parametrize(
    "treated, holdout, message",
    [([1.0], [1.0, 2.0], "two units"), ([1.0, float("nan")], [1.0, 2.0], "numbers")],
)
def test_lift_refuses_bad_input(treated, holdout, message):
    with pytest.raises(ValueError, match=message):
        holdout_lift(treated, holdout)


def test_difference_in_differences_needs_paired_outcomes():
    with pytest.raises(ValueError, match="one outcome before"):
        difference_in_differences([1, 2, 3], [1, 2], [1, 2], [1, 2])


def test_elasticity_is_recovered_from_price_changes():
    rng = np.random.default_rng(4)
    rows = []
    for product in range(5):
        level = rng.uniform(20, 60)
        for _week in range(40):
            price = rng.choice([18.0, 20.0, 22.0]) * (1 + product / 10)
            quantity = level * price**-1.8 * 1000 / 300 * math.exp(rng.normal(0, 0.1))
            rows.append((product, price, quantity))
    estimate = estimate_elasticity(rows)
    assert estimate.products == 5
    low, high = estimate.interval
    assert low < -1.8 < high and high - low < 0.5


def test_no_price_change_means_no_elasticity():
    assert estimate_elasticity([(1, 10.0, 5.0), (1, 10.0, 7.0)]) is None


def test_the_suggestion_moves_towards_the_optimum_but_at_most_the_bound():
    # e = -3: optimum p* = c e / (1 + e) = 1.5 c = 15; from 20 at most 10% down: 18.
    suggestion = suggest_price(
        price=20.0,
        unit_cost=10.0,
        quantity_per_period=100,
        elasticity=Elasticity(-3.0, 0.1, 200, 4),
        max_change=0.1,
        margin_floor=0.2,
    )
    assert suggestion.suggested_price == 18.0
    assert suggestion.needs_approval
    low, expected, high = suggestion.quantity_change
    assert expected == pytest.approx((18 / 20) ** -3 - 1)
    assert low <= expected <= high
    assert suggestion.profit_change[1] == pytest.approx(8 * 100 * (18 / 20) ** -3 - 10 * 100)


def test_the_margin_floor_wins_over_the_optimum():
    # Optimum 11.25 (e = -9) lies below the 25% margin floor c / 0.75 = 12.
    suggestion = suggest_price(
        price=12.5,
        unit_cost=9.0,
        quantity_per_period=10,
        elasticity=Elasticity(-9.0, 0.2, 100, 1),
        max_change=0.2,
        margin_floor=0.25,
    )
    assert suggestion.suggested_price == 12.0
    assert "margin floor" in suggestion.reason


def test_inelastic_demand_keeps_the_price():
    suggestion = suggest_price(
        price=10.0,
        unit_cost=4.0,
        quantity_per_period=50,
        elasticity=Elasticity(-0.9, 0.3, 50, 1),
    )
    assert suggestion.suggested_price == 10.0
    assert suggestion.revenue_change[1] == 0.0
    assert "not clearly elastic" in suggestion.reason


def test_bad_price_input_is_refused():
    with pytest.raises(ValueError):
        suggest_price(
            price=0, unit_cost=1, quantity_per_period=1, elasticity=Elasticity(-2, 0.1, 9, 1)
        )
    with pytest.raises(ValueError):
        estimate_elasticity([(1, -5.0, 3.0)])
