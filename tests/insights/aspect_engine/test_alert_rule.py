"""The alert rule on constructed series: it fires on a real jump, not on noise or low volume."""

import random

import pytest

from insights.aspect_engine.alerts import (
    AlertRule,
    SeriesCounts,
    alert_decisions,
    benjamini_hochberg,
    fisher_exact_greater,
    odds_ratio_corrected,
)

RULE = AlertRule()


def series(recent_negative, recent_total, baseline_negative, baseline_total, key="p"):
    return SeriesCounts(key, recent_negative, recent_total, baseline_negative, baseline_total)


def decide(*counts: SeriesCounts, rule: AlertRule = RULE):
    return alert_decisions(list(counts), rule)


def test_fisher_exact_matches_hand_computed_hypergeometric_tail():
    # [[3, 1], [1, 3]]: N=8, K=4, n1=4; P(X>=3) = (C(4,3)C(4,1) + C(4,4)C(4,0)) / C(8,4) = 17/70
    assert fisher_exact_greater(3, 1, 1, 3) == pytest.approx(17 / 70)
    # The lowest possible count has p = 1.
    assert fisher_exact_greater(0, 4, 4, 0) == 1.0


def test_odds_ratio_stays_finite_with_empty_cells():
    assert odds_ratio_corrected(5, 0, 0, 5) == pytest.approx((5.5 * 5.5) / (0.5 * 0.5))


def test_a_real_jump_fires():
    # 10% negative over six months, then 60% in the last four weeks.
    [decision] = decide(series(12, 20, 10, 100))
    assert decision.fires
    assert decision.p_value < 1e-4
    assert decision.odds_ratio > 1


def test_the_same_jump_on_too_few_recent_opinions_does_not_fire():
    [decision] = decide(series(6, 9, 10, 100))
    assert not decision.fires
    assert decision.reason == "low volume"
    assert decision.p_value is None


def test_a_short_history_does_not_fire():
    [decision] = decide(series(12, 20, 1, 10))
    assert (decision.fires, decision.reason) == (False, "low volume")


def test_a_fall_in_negative_share_does_not_fire():
    [decision] = decide(series(1, 40, 30, 100))
    assert (decision.fires, decision.reason) == (False, "rise below minimum")


def test_a_significant_but_tiny_rise_does_not_fire():
    [decision] = decide(series(1200, 10000, 9000, 100000))
    assert decision.p_value < RULE.alpha
    assert (decision.fires, decision.reason) == (False, "rise below minimum")


def test_a_large_rise_on_moderate_volume_that_chance_explains_does_not_fire():
    # 4/10 vs 5/25: a 20-point rise, but p ~ 0.2.
    [decision] = decide(series(4, 10, 5, 25))
    assert (decision.fires, decision.reason) == (False, "not significant")


def test_noise_around_a_stable_rate_raises_no_alert_across_many_products():
    rng = random.Random(7)
    noisy = []
    for index in range(300):
        baseline_total, recent_total = rng.randint(40, 200), rng.randint(10, 40)
        baseline = sum(rng.random() < 0.2 for _ in range(baseline_total))
        recent = sum(rng.random() < 0.2 for _ in range(recent_total))
        noisy.append(series(recent, recent_total, baseline, baseline_total, key=index))

    assert not any(decision.fires for decision in decide(*noisy))


def test_a_real_jump_still_fires_among_many_noisy_series():
    rng = random.Random(11)
    noisy = [
        series(
            sum(rng.random() < 0.2 for _ in range(20)),
            20,
            sum(rng.random() < 0.2 for _ in range(100)),
            100,
            key=index,
        )
        for index in range(200)
    ]
    jump = series(14, 20, 20, 100, key="jump")

    fired = [d.series.key for d in decide(*noisy, jump) if d.fires]

    assert fired == ["jump"]


def test_benjamini_hochberg_rejects_the_step_up_set():
    # m=4, q=0.05: thresholds .0125 .025 .0375 .05; the largest k with p_(k) <= k q/m is 2.
    assert benjamini_hochberg([0.01, 0.3, 0.02, 0.04], 0.05) == [True, False, True, False]
    assert benjamini_hochberg([], 0.05) == []


def test_the_rule_describes_itself_within_the_alert_field():
    assert len(RULE.description) <= 120
    assert "Fisher exact" in RULE.description and "alpha=0.01" in RULE.description


@pytest.mark.parametrize(
    "values",
    [{"alpha": 0}, {"alpha": 1}, {"recent_weeks": 0}, {"min_recent_total": 0}, {"min_rise": 1}],
)
def test_invalid_rules_are_rejected(values):
    with pytest.raises(ValueError):
        AlertRule(**values)


def test_inconsistent_counts_are_rejected():
    with pytest.raises(ValueError):
        series(5, 4, 0, 10)
