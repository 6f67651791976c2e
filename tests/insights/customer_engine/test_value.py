"""The combined per-customer scores the nightly job stores."""

import datetime as dt

import numpy as np
import pytest

from insights.customer_engine.btyd import (
    BgNbdParams,
    GammaGammaParams,
    customer_lifetime_value,
    customer_summaries,
    probability_alive,
)
from insights.customer_engine.value import customer_values, fit_value_models

CDNOW = BgNbdParams(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)
SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
START = dt.date(2024, 1, 1)
END = dt.date(2024, 12, 29)


def rows_for(customer_id, weeks, amount=25.0):
    return [(customer_id, START + dt.timedelta(weeks=w), amount) for w in weeks]


@pytest.fixture(scope="module")
def summaries():
    rows = (
        rows_for("regular", range(0, 52, 4))  # every four weeks, still buying
        + rows_for("lapsed", [0, 1, 2, 3, 4, 5])  # six weeks in a row, then nothing
        + rows_for("once", [10])  # one purchase only
    )
    return customer_summaries(rows, calibration_end=END)


def test_scores_come_in_input_order_with_churn_risk_the_complement_of_alive(summaries):
    values = customer_values(summaries, bg_nbd=CDNOW, gamma_gamma=SPEND)
    assert [v.customer_id for v in values] == ["regular", "lapsed", "once"]
    for value in values:
        assert value.churn_risk == pytest.approx(1 - value.probability_alive)


def test_a_lapsed_customer_is_riskier_and_worth_less_than_a_regular_one(summaries):
    regular, lapsed, once = customer_values(summaries, bg_nbd=CDNOW, gamma_gamma=SPEND)
    assert lapsed.churn_risk > 0.9 > regular.churn_risk
    assert regular.expected_purchases > lapsed.expected_purchases
    assert regular.clv > lapsed.clv
    # A single purchase is certainly "alive" in the BG/NBD, yet expects few purchases.
    assert once.churn_risk == 0.0
    assert once.expected_purchases < regular.expected_purchases


def test_scores_agree_with_the_model_functions(summaries):
    regular = summaries[0]
    [value] = customer_values([regular], bg_nbd=CDNOW, gamma_gamma=SPEND, horizon_months=6)
    args = (regular.frequency, regular.recency, regular.T)
    assert value.probability_alive == pytest.approx(probability_alive(CDNOW, *args).item())
    expected_clv = customer_lifetime_value(
        CDNOW, SPEND, *args, regular.monetary_value, horizon_months=6
    ).item()
    assert value.clv == pytest.approx(expected_clv)


def test_fit_value_models_fits_both_models_on_one_population():
    # Gamma-Gamma spend: each customer's rate nu ~ Gamma(4, rate 15), values ~ Gamma(6, nu),
    # so a purchase is worth p gamma / (q - 1) = 6 * 15 / 3 = 30 on average.
    rng = np.random.default_rng(3)
    rows = []
    for customer in range(400):
        nu = rng.gamma(4.0, 1 / 15.0)
        repeats = rng.choice(np.arange(1, 40), size=min(rng.poisson(1.5), 39), replace=False)
        for week in [0, *repeats.tolist()]:
            rows.append((customer, START + dt.timedelta(weeks=week), rng.gamma(6.0, 1 / nu)))
    summaries = customer_summaries(rows, calibration_end=START + dt.timedelta(weeks=40))

    models = fit_value_models(summaries)

    assert models.bg_nbd.info.n_customers == 400
    assert models.gamma_gamma is not None
    assert models.gamma_gamma.info.converged
    assert models.gamma_gamma.params.population_mean_spend == pytest.approx(30.0, rel=0.25)


def test_fit_value_models_without_repeat_purchases_is_an_error():
    rows = rows_for("a", [0]) + rows_for("b", [3])
    with pytest.raises(ValueError, match="repeat purchase"):
        fit_value_models(customer_summaries(rows, calibration_end=END))
