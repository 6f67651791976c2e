"""BG/NBD and Gamma-Gamma: likelihoods by hand, model properties, fits on simulated data."""

import math

import numpy as np
import pytest

from insights.customer_engine.btyd import (
    BgNbdParams,
    GammaGammaParams,
    bg_nbd_log_likelihood,
    customer_lifetime_value,
    expected_average_spend,
    expected_purchases,
    expected_purchases_new_customer,
    fit_bg_nbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    periods_per_month,
    probability_alive,
)
from tests.insights.customer_engine.simulation import simulate_bg_nbd, simulate_gamma_gamma

CDNOW = BgNbdParams(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)
SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def beta(u, v):
    return math.gamma(u) * math.gamma(v) / math.gamma(u + v)


# --- BG/NBD likelihood ------------------------------------------------------------------


def test_log_likelihood_of_a_repeat_customer_matches_the_formula_by_hand():
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    x, t_x, age = 2, 30.43, 38.86
    rate_part = math.gamma(r + x) * alpha**r / math.gamma(r)
    alive = beta(a, b + x) / beta(a, b) * rate_part / (alpha + age) ** (r + x)
    died = beta(a + 1, b + x - 1) / beta(a, b) * rate_part / (alpha + t_x) ** (r + x)
    [value] = bg_nbd_log_likelihood(CDNOW, [x], [t_x], [age])
    assert value == pytest.approx(math.log(alive + died), rel=1e-12)


def test_log_likelihood_without_repeat_purchases_is_the_no_purchase_probability():
    # x = 0: L = (alpha / (alpha + T))^r, the NBD probability of no purchase in T.
    [value] = bg_nbd_log_likelihood(CDNOW, [0], [0.0], [38.86])
    assert value == pytest.approx(CDNOW.r * math.log(CDNOW.alpha / (CDNOW.alpha + 38.86)))


def test_log_likelihood_stays_finite_for_very_heavy_buyers():
    values = bg_nbd_log_likelihood(CDNOW, [500, 2000], [51.9, 52.0], [52.0, 52.0])
    assert np.isfinite(values).all()


@pytest.mark.parametrize(
    ("x", "t_x", "age", "message"),
    [
        ([-1], [0.0], [10.0], "frequency"),
        ([1.5], [2.0], [10.0], "frequency"),
        ([2], [12.0], [10.0], "recency"),
        ([0], [3.0], [10.0], "recency must be 0"),
        ([1], [float("nan")], [10.0], "finite"),
    ],
)
def test_invalid_summaries_are_rejected(x, t_x, age, message):
    with pytest.raises(ValueError, match=message):
        bg_nbd_log_likelihood(CDNOW, x, t_x, age)


# --- P(alive) and expected purchases ----------------------------------------------------


def test_a_customer_without_repeat_purchases_is_alive_with_probability_one():
    # The BG/NBD lets customers drop out only right after a repeat purchase.
    assert probability_alive(CDNOW, [0, 0, 0], [0.0, 0.0, 0.0], [1.0, 38.86, 500.0]).tolist() == [
        1.0,
        1.0,
        1.0,
    ]


def test_probability_alive_matches_the_closed_form():
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    odds = a / (b + 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2)
    [value] = probability_alive(CDNOW, [2], [30.43], [38.86])
    assert value == pytest.approx(1 / (1 + odds))


def test_probability_alive_falls_with_time_since_the_last_purchase():
    ages = np.array([31.0, 35.0, 40.0, 60.0, 100.0])
    alive = probability_alive(CDNOW, 3, 30.0, ages)
    assert (np.diff(alive) < 0).all()


def test_probability_alive_rises_with_recency():
    recency = np.array([1.0, 10.0, 20.0, 30.0, 38.0])
    alive = probability_alive(CDNOW, 3, recency, 38.86)
    assert (np.diff(alive) > 0).all()


def test_probability_alive_is_stable_for_a_lapsed_heavy_buyer():
    [value] = probability_alive(CDNOW, [300], [1.0], [52.0])
    assert 0.0 <= value < 1e-12


def test_expected_purchases_grow_with_the_horizon_from_zero():
    horizons = np.array([0.0, 1.0, 4.0, 13.0, 39.0, 104.0])
    expected = expected_purchases(CDNOW, horizons, 2, 30.43, 38.86)
    assert expected[0] == 0.0
    assert (np.diff(expected) > 0).all()


def test_expected_purchases_rise_with_recency_and_fall_with_age():
    by_recency = expected_purchases(CDNOW, 39.0, 4, np.array([5.0, 20.0, 38.0]), 38.86)
    by_age = expected_purchases(CDNOW, 39.0, 4, 20.0, np.array([25.0, 40.0, 80.0]))
    assert (np.diff(by_recency) > 0).all()
    assert (np.diff(by_age) < 0).all()


def test_a_brand_new_customer_expects_what_the_unconditional_formula_says():
    # With x = t_x = T = 0 the conditional expectation (eq. 10) reduces to eq. 9.
    horizons = np.array([4.0, 39.0, 78.0])
    conditional = expected_purchases(CDNOW, horizons, 0, 0.0, 0.0)
    np.testing.assert_allclose(conditional, expected_purchases_new_customer(CDNOW, horizons))


def test_unconditional_expectation_matches_a_simulated_cohort():
    params = BgNbdParams(r=0.6, alpha=5.0, a=0.9, b=3.0)
    x, _, _ = simulate_bg_nbd(params, np.full(20_000, 39.0), seed=11)
    [expected] = expected_purchases_new_customer(params, [39.0])
    assert x.mean() == pytest.approx(expected, rel=0.05)


def test_expected_purchases_are_continuous_across_a_equal_to_one():
    at_one = expected_purchases(BgNbdParams(0.5, 4.0, 1.0, 2.0), 10.0, 2, 5.0, 10.0)
    near_one = expected_purchases(BgNbdParams(0.5, 4.0, 1.001, 2.0), 10.0, 2, 5.0, 10.0)
    assert np.isfinite(at_one).all()
    assert at_one == pytest.approx(near_one, rel=1e-2)


# --- BG/NBD fit -------------------------------------------------------------------------


def test_fit_recovers_the_parameters_of_a_simulated_bg_nbd_population():
    true = BgNbdParams(r=0.6, alpha=5.0, a=0.9, b=3.0)
    ages = np.random.default_rng(101).uniform(26.0, 52.0, 4000)
    x, t_x, age = simulate_bg_nbd(true, ages, seed=1)

    fit = fit_bg_nbd(x, t_x, age)

    assert fit.info.converged
    assert fit.info.n_customers == 4000
    got = fit.params
    # r and alpha (the purchase rate) are pinned down well; a and b (dropout) less so, but
    # their mean dropout probability a / (a + b) is.
    assert got.r == pytest.approx(true.r, rel=0.15)
    assert got.alpha == pytest.approx(true.alpha, rel=0.15)
    assert got.a == pytest.approx(true.a, rel=0.35)
    assert got.b == pytest.approx(true.b, rel=0.35)
    assert got.a / (got.a + got.b) == pytest.approx(true.a / (true.a + true.b), rel=0.1)
    # The maximum beats the true parameters on the sample it was fitted to.
    assert fit.info.log_likelihood >= bg_nbd_log_likelihood(true, x, t_x, age).sum()


def test_weights_stand_for_repeated_customers():
    x = np.array([0, 1, 3, 0, 2, 7])
    t_x = np.array([0.0, 5.0, 20.0, 0.0, 12.0, 30.0])
    age = np.array([30.0, 30.0, 32.0, 35.0, 20.0, 31.0])
    weights = np.array([5, 3, 2, 4, 1, 1])

    weighted = fit_bg_nbd(x, t_x, age, weights=weights).params
    repeated = fit_bg_nbd(*(np.repeat(v, weights) for v in (x, t_x, age))).params

    for name, value in weighted.as_dict().items():
        assert value == pytest.approx(repeated.as_dict()[name], rel=1e-3)


def test_fit_needs_a_repeat_purchase():
    with pytest.raises(ValueError, match="repeat purchase"):
        fit_bg_nbd([0, 0], [0.0, 0.0], [10.0, 20.0])


# --- Gamma-Gamma ------------------------------------------------------------------------


def test_gamma_gamma_log_likelihood_matches_the_density_by_hand():
    p, q, g = SPEND.p, SPEND.q, SPEND.gamma
    x, m = 3, 27.5
    density = (
        math.gamma(p * x + q)
        / (math.gamma(p * x) * math.gamma(q))
        * g**q
        * m ** (p * x - 1)
        * x ** (p * x)
        / (g + m * x) ** (p * x + q)
    )
    [value] = gamma_gamma_log_likelihood(SPEND, [x], [m])
    assert value == pytest.approx(math.log(density), rel=1e-12)


def test_expected_spend_shrinks_a_customer_mean_towards_the_population_mean():
    population = SPEND.population_mean_spend
    few, many = expected_average_spend(SPEND, [1, 20], [100.0, 100.0])
    assert population < few < 100.0
    assert many > few  # more purchases: more weight on the customer's own mean
    [none] = expected_average_spend(SPEND, [0], [0.0])
    assert none == pytest.approx(population)


def test_expected_spend_needs_a_finite_population_mean():
    with pytest.raises(ValueError, match="infinite"):
        expected_average_spend(GammaGammaParams(2.0, 0.8, 10.0), [0], [0.0])


def test_gamma_gamma_fit_recovers_a_simulated_spend_process():
    true = GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    frequency = 1 + np.random.default_rng(5).poisson(3, 4000)
    spend = simulate_gamma_gamma(true, frequency, seed=6)
    # Customers without a repeat purchase are skipped by the fit.
    frequency = np.concatenate([frequency, np.zeros(500)])
    spend = np.concatenate([spend, np.zeros(500)])

    fit = fit_gamma_gamma(frequency, spend)

    assert fit.info.n_customers == 4000
    got = fit.params
    # p and gamma trade off against each other; the mean spend and q are well identified.
    assert got.population_mean_spend == pytest.approx(true.population_mean_spend, rel=0.05)
    assert got.q == pytest.approx(true.q, rel=0.15)
    assert got.p == pytest.approx(true.p, rel=0.4)
    assert got.gamma == pytest.approx(true.gamma, rel=0.4)


# --- lifetime value ---------------------------------------------------------------------


def test_undiscounted_clv_is_expected_purchases_times_expected_spend():
    months = 12
    [clv] = customer_lifetime_value(
        CDNOW, SPEND, [3], [30.0], [38.86], [40.0], horizon_months=months, monthly_discount_rate=0
    )
    purchases = expected_purchases(CDNOW, months * periods_per_month("weeks"), 3, 30.0, 38.86)
    [spend] = expected_average_spend(SPEND, [3], [40.0])
    assert clv == pytest.approx(purchases.item() * spend)


def test_clv_grows_with_the_horizon_and_falls_with_the_discount_rate():
    def clv(months, rate):
        return customer_lifetime_value(
            CDNOW, SPEND, 3, 30.0, 38.86, 40.0, horizon_months=months, monthly_discount_rate=rate
        ).item()

    assert clv(6, 0.01) < clv(12, 0.01) < clv(24, 0.01)
    assert clv(12, 0.0) > clv(12, 0.01) > clv(12, 0.05)


def test_clv_scales_with_margin_and_periods_follow_the_unit():
    args = (CDNOW, SPEND, 3, 30.0, 38.86, 40.0)
    full = customer_lifetime_value(*args).item()
    assert customer_lifetime_value(*args, margin=0.3).item() == pytest.approx(0.3 * full)
    assert periods_per_month("days") == pytest.approx(7 * periods_per_month("weeks"))
    with pytest.raises(ValueError, match="horizon_months"):
        customer_lifetime_value(*args, horizon_months=0)
