"""The allocator (pure): Thompson sampling, the deterministic holdout, the report's statistics."""

import numpy as np
import pytest

from marketing.bandit import (
    ArmStats,
    conversion_interval,
    holdout_bucket,
    in_holdout,
    lift_interval,
    probability_best,
    thompson_choose,
)


def simulate(true_rates, *, impressions: int, seed: int, batch: int = 100) -> list[int]:
    """Show `impressions` ads, updating the posteriors every `batch`; returns shows per arm."""
    rng = np.random.default_rng(seed)
    shows = [0] * len(true_rates)
    wins = [0] * len(true_rates)
    seen = [ArmStats(0, 0) for _ in true_rates]
    for start in range(0, impressions, batch):
        for _ in range(min(batch, impressions - start)):
            arm = thompson_choose(seen, rng=rng)
            shows[arm] += 1
            wins[arm] += rng.random() < true_rates[arm]
        seen = [ArmStats(shows[i], wins[i]) for i in range(len(true_rates))]
    return shows


def test_thompson_sampling_converges_to_the_best_arm():
    shows = simulate([0.02, 0.024, 0.026, 0.05], impressions=20_000, seed=1)
    assert shows[3] / sum(shows) > 0.8


def test_the_same_seed_makes_the_same_choices():
    assert simulate([0.1, 0.2], impressions=500, seed=3) == simulate(
        [0.1, 0.2], impressions=500, seed=3
    )


def test_arms_without_data_are_chosen_evenly():
    rng = np.random.default_rng(0)
    arms = [ArmStats(0, 0)] * 4
    counts = np.bincount([thompson_choose(arms, rng=rng) for _ in range(4000)], minlength=4)
    assert all(900 < c < 1100 for c in counts)


def test_no_arms_is_an_error():
    with pytest.raises(ValueError):
        thompson_choose([], rng=np.random.default_rng(0))


def test_conversions_beyond_impressions_do_not_break_the_posterior():
    assert ArmStats(impressions=2, conversions=5).beta == 1.0


@pytest.mark.parametrize("share", [0.05, 0.1, 0.25, 0.5])
def test_the_holdout_takes_its_share_of_shoppers(share):
    held = sum(
        in_holdout(share=share, unit=f"session:{n}", salt="campaign:1") for n in range(20_000)
    )
    assert held / 20_000 == pytest.approx(share, abs=0.01)


def test_a_shopper_always_gets_the_same_arm():
    first = [in_holdout(share=0.3, unit=f"customer:{n}", salt="campaign:7") for n in range(200)]
    again = [in_holdout(share=0.3, unit=f"customer:{n}", salt="campaign:7") for n in range(200)]
    assert first == again


def test_campaigns_hold_out_different_shoppers():
    units = [f"customer:{n}" for n in range(2000)]
    a = {u for u in units if in_holdout(share=0.5, unit=u, salt="campaign:1")}
    b = {u for u in units if in_holdout(share=0.5, unit=u, salt="campaign:2")}
    assert a != b


def test_a_zero_share_holds_no_one_out():
    assert not any(in_holdout(share=0, unit=f"s:{n}", salt="c") for n in range(1000))


def test_buckets_lie_in_the_unit_interval():
    assert all(0 <= holdout_bucket(unit=str(n), salt="x") < 1 for n in range(1000))


def test_the_conversion_interval_is_the_beta_posterior_quantiles():
    from scipy.stats import binom

    low, high = conversion_interval(conversions=10, impressions=100)
    # Beta(11, 91); its CDF at x is P(Binomial(101, x) >= 11): 2.5% at low, 97.5% at high.
    assert binom.sf(10, 101, low) == pytest.approx(0.025, abs=1e-6)
    assert binom.sf(10, 101, high) == pytest.approx(0.975, abs=1e-6)
    assert 0.05 < low < 0.1 < high < 0.2


def test_with_no_data_the_interval_is_the_uniform_prior():
    assert conversion_interval(conversions=0, impressions=0) == pytest.approx((0.025, 0.975))


def test_probability_best_favours_the_clearly_better_arm_and_sums_to_one():
    found = probability_best([ArmStats(1000, 20), ArmStats(1000, 60)], rng=np.random.default_rng(0))
    assert sum(found) == pytest.approx(1.0)
    assert found[1] > 0.99


def test_lift_of_a_better_treatment_is_positive():
    lift = lift_interval(ArmStats(2000, 120), ArmStats(2000, 60), rng=np.random.default_rng(0))
    assert lift.mean == pytest.approx(1.0, abs=0.15)
    assert 0 < lift.low < lift.mean < lift.high
    assert lift.probability_positive > 0.99
