"""Learning from conversions that arrive late: the delay CDF, delay-weighted impressions (pure),
what the API's selectors read for them, and the vectorised Thompson draw the API uses."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.cache import cache
from django.utils import timezone

from marketing import bandit, selectors
from marketing.bandit import (
    HOUR,
    ArmStats,
    ConversionDelay,
    conversion_delay_estimate,
    conversion_delay_prior,
    impressions_effective,
    thompson_allocate,
    thompson_choose,
)
from tests.factories.marketing import AdCopyFactory, AdEventFactory
from tests.factories.shop import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

WINDOW = 7 * 24 * HOUR


def test_allocate_shows_each_arm_as_often_as_it_is_probably_best():
    arms = [ArmStats(1000, 20), ArmStats(1000, 30), ArmStats(1000, 21)]
    many = thompson_allocate(arms, size=20_000, rng=np.random.default_rng(4))
    best = bandit.probability_best(arms, rng=np.random.default_rng(5))
    shares = np.bincount(many, minlength=3) / len(many)
    assert shares == pytest.approx(best, abs=0.02)
    assert shares[1] > 0.8


def test_one_choice_is_one_draw_of_the_allocation():
    arms = [ArmStats(10, 1), ArmStats(10, 2)]
    for seed in range(20):
        chosen = thompson_choose(arms, rng=np.random.default_rng(seed))
        assert chosen == thompson_allocate(arms, size=1, rng=np.random.default_rng(seed))[0]


@pytest.mark.parametrize("size", [0, -1])
def test_allocate_needs_a_positive_size(size):
    with pytest.raises(ValueError):
        thompson_allocate([ArmStats(1, 0)], size=size, rng=np.random.default_rng(0))


def test_the_prior_delay_is_a_cdf_reaching_one_at_the_window():
    prior = conversion_delay_prior(window_s=WINDOW)
    shares = prior.known_share([0, HOUR, 24 * HOUR, WINDOW, 2 * WINDOW])
    assert shares[0] == 0.0
    assert np.all(np.diff(shares) >= 0)
    assert 0.3 < shares[1] < 0.5  # most of the in-visit half within the first hour
    assert shares[3] == pytest.approx(1.0) and shares[4] == 1.0


def test_the_estimate_moves_from_the_prior_to_the_observed_delays():
    fast = [60.0] * 5000  # every order a minute after the click
    estimate = conversion_delay_estimate(fast, window_s=WINDOW, prior_weight=50)
    assert estimate.known_share([HOUR])[0] == pytest.approx(
        (50 * conversion_delay_prior(window_s=WINDOW).known_share([HOUR])[0] + 5000) / 5050
    )
    assert conversion_delay_estimate([], window_s=WINDOW) == conversion_delay_prior(window_s=WINDOW)


def test_delays_outside_the_window_are_ignored():
    assert conversion_delay_estimate([-5.0, 2 * WINDOW], window_s=WINDOW) == (
        conversion_delay_prior(window_s=WINDOW)
    )


def test_a_delay_must_be_a_cdf():
    with pytest.raises(ValueError):
        ConversionDelay(ages_s=(2.0, 1.0), cdf=(0.5, 1.0))
    with pytest.raises(ValueError):
        ConversionDelay(ages_s=(1.0, 2.0), cdf=(0.9, 0.5))


def test_recent_impressions_count_by_the_share_of_their_conversions_known():
    delay = ConversionDelay(ages_s=(HOUR, 2 * HOUR), cdf=(0.5, 1.0))
    effective = impressions_effective(
        impressions=[100, 10],
        recent_ages_s=[0.0, HOUR, 3 * HOUR],
        recent_counts=[[10, 20, 30], [10, 0, 0]],
        delay=delay,
    )
    # 100 - (10 * 1 + 20 * 0.5 + 30 * 0) ; 10 - 10 * 1
    assert effective.tolist() == [80.0, 0.0]


def test_without_the_correction_delayed_conversions_punish_the_arm_shown_lately():
    """Two arms that convert equally; B was shown a lot in the last hours, whose orders are not
    in yet. Raw counts make B look worse; delay-weighted ones do not."""
    delay = conversion_delay_prior(window_s=WINDOW)
    rate = 0.03
    old, recent = 10_000, 5_000  # B's recent impressions are an hour old
    known_recent = recent * delay.known_share([HOUR])[0]
    a = ArmStats(old, round(old * rate))
    b_conversions = round((old + known_recent) * rate)
    b_raw = ArmStats(old + recent, b_conversions)
    b_weighted = ArmStats(
        float(
            impressions_effective(
                impressions=[old + recent], recent_ages_s=[HOUR], recent_counts=[[recent]],
                delay=delay,
            )[0]
        ),
        b_conversions,
    )  # fmt: skip
    p_raw = bandit.probability_best([a, b_raw])[1]
    p_weighted = bandit.probability_best([a, b_weighted])[1]
    assert p_raw < 0.1
    assert 0.3 < p_weighted < 0.7


# --- what the API reads -------------------------------------------------------------------------


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_arm_stats_weigh_recent_impressions_by_the_delay(fresh_cache):
    # Half past an hour: impressions 3 hours ago fall in an hour whose middle is 3 hours ago.
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    variant = AdCopyFactory()
    for hours_ago in (3, 3, 30 * 24):
        AdEventFactory(variant=variant, occurred_at=now - timedelta(hours=hours_ago))
    stats = selectors.variant_arm_stats(variant_ids=[variant.pk], now=now)[variant.pk]
    known = conversion_delay_prior(window_s=WINDOW).known_share([3 * HOUR])[0]
    assert stats.impressions == pytest.approx(3 - 2 * (1 - known))
    assert stats.conversions == 0


@pytest.mark.django_db
def test_conversion_delays_are_read_only_for_clicks_whose_window_has_passed(fresh_cache):
    now = timezone.now()
    product = ProductFactory()
    variant = AdCopyFactory(product=product)
    old_customer, new_customer = CustomerFactory(), CustomerFactory()
    old_click = now - timedelta(days=10)
    AdEventFactory(variant=variant, kind="click", customer=old_customer, occurred_at=old_click)
    OrderItemFactory(
        order=OrderFactory(customer=old_customer, placed_at=old_click + timedelta(hours=5)),
        product=product,
    )
    new_click = now - timedelta(days=1)
    AdEventFactory(variant=variant, kind="click", customer=new_customer, occurred_at=new_click)
    OrderItemFactory(
        order=OrderFactory(customer=new_customer, placed_at=new_click + timedelta(hours=2)),
        product=product,
    )
    assert selectors.conversion_delays(now=now) == [pytest.approx(5 * HOUR)]


def regret_benchmark():
    """benchmarks/bandit_regret.py as a module (benchmarks are scripts, not a package)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bandit_regret.py"
    spec = importlib.util.spec_from_file_location("bandit_regret", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bandit_regret", module)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_simulates_the_apis_cache_periods_and_window():
    module = regret_benchmark()
    assert module.ARM_STATS_CACHE_SECONDS == selectors.ARM_STATS_CACHE_SECONDS
    assert module.DELAY_CACHE_SECONDS == selectors.DELAY_CACHE_SECONDS
    assert module.CONVERSION_WINDOW_SECONDS == selectors.CONVERSION_WINDOW.total_seconds()


def test_the_simulated_allocator_beats_a_uniform_split_on_a_short_run():
    """A small, fast version of benchmarks/bandit_regret.py: two arms, clear gap."""
    module = regret_benchmark()
    rates = np.array([0.02, 0.05])
    common = {"impressions": 20_000, "refresh_every": 50, "seconds_per_impression": 30.0,
              "delay": module.Delay()}  # fmt: skip
    ours = module.simulate(rates, policy="product", rng=np.random.default_rng(1), **common)
    uniform = module.simulate(rates, policy="uniform", rng=np.random.default_rng(2), **common)
    assert ours["regret"] < 0.3 * uniform["regret"]
    assert ours["shows"][1] > 0.8 * 20_000
