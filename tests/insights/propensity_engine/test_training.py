"""Features, time split, training and explanations of the purchase-propensity engine on a
simulated store with a planted signal (tests.insights.propensity_engine.synthetic)."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from insights.propensity_engine.features import (
    EVENT_CART,
    EVENT_VIEW,
    FEATURE_NAMES,
    behaviour_features,
    design_matrix,
    eligible,
    labels,
)
from insights.propensity_engine.model import NetConfig, PropensityModel
from insights.propensity_engine.training import (
    PropensityConfig,
    cutoffs,
    score_customers,
    train_propensity,
)
from tests.insights.propensity_engine.synthetic import simulated_log

FAST = PropensityConfig(
    windows=5,
    text_components=2,
    net=NetConfig(hidden=(16, 8), epochs=25, patience=4),
    baseline=NetConfig(hidden=(), dropout=0.0, learning_rate=1e-2, epochs=25, patience=4),
)


@pytest.fixture(scope="module")
def trained():
    log = simulated_log(customers=400, days=300, seed=3, texts=True)
    return log, train_propensity(log, as_of_day=299, config=FAST)


def column(name: str) -> int:
    return FEATURE_NAMES.index(name)


def test_features_see_only_days_before_the_cutoff_and_labels_only_the_window():
    log = simulated_log(customers=50, days=120, seed=1)
    cutoff = 80
    x = behaviour_features(log, cutoff)
    # Activity on or after the cutoff changes no feature.
    extra = {
        "order_customer": np.r_[log.order_customer, [0, 1]],
        "order_day": np.r_[log.order_day, [cutoff, cutoff + 5]],
        "order_value": np.r_[log.order_value, [10.0, 20.0]],
        "event_customer": np.r_[log.event_customer, [0, 0]],
        "event_day": np.r_[log.event_day, [cutoff, cutoff + 1]],
        "event_kind": np.r_[log.event_kind, [EVENT_CART, EVENT_VIEW]].astype(np.int8),
    }
    later = replace(log, **extra)
    np.testing.assert_array_equal(x, behaviour_features(later, cutoff))
    assert not np.array_equal(x, behaviour_features(later, cutoff + 6))
    y = labels(log, cutoff, 30)
    bought = set(log.order_customer[(log.order_day >= cutoff) & (log.order_day < cutoff + 30)])
    assert set(np.flatnonzero(y)) == bought
    # Order counts agree with the raw log.
    c = int(log.order_customer[0])
    assert x[c, column("orders_log")] == pytest.approx(
        np.log1p(((log.order_customer == c) & (log.order_day < cutoff)).sum())
    )
    assert eligible(log, cutoff).sum() == (log.first_day < cutoff).sum()


def test_windows_never_let_a_label_reach_the_test_window():
    config = PropensityConfig(horizon_days=30, step_days=14, windows=4)
    test, valid, train = cutoffs(299, config)
    assert test == 270 and valid == 240
    assert train == [226, 212, 198]
    assert all(c + config.horizon_days <= test for c in [valid, *train])


def test_the_network_and_the_baseline_learn_the_planted_signal(trained):
    _log, result = trained
    metrics = result.metrics
    for family in ("neural", "logistic"):
        test = metrics["models"][family]["test"]
        assert test["auc"] > 0.7, (family, test["auc"])  # chance is 0.5
        assert test["average_precision"] > 1.5 * test["positive_rate"]
        # Calibrated on the validation window: no worse than always predicting the base rate.
        base = test["positive_rate"]
        assert test["brier"] < base * (1 - base)
    assert metrics["served_family"] in ("neural", "logistic")
    assert metrics["auc"] == metrics["models"][metrics["served_family"]]["test"]["auc"]
    assert metrics["neural_beats_baseline"] == (
        metrics["models"]["neural"]["test"]["auc"] > metrics["models"]["logistic"]["test"]["auc"]
    )
    assert result.data_summary["training_rows"] > 1000
    assert len(result.data_summary["features"]) == len(FEATURE_NAMES) + 2


def test_training_is_repeatable_for_a_seed():
    # The seed covers the initial weights as well as batch order and dropout: the same data
    # and seed give the same network, whatever ran before in the process.
    log = simulated_log(customers=120, days=200, seed=4)
    config = replace(FAST, windows=3, net=replace(FAST.net, epochs=3))
    first = train_propensity(log, as_of_day=199, config=config)
    torch.manual_seed(12345)  # disturb the global generator between the runs
    torch.rand(7)
    second = train_propensity(log, as_of_day=199, config=config)
    assert first.metrics["models"] == second.metrics["models"]
    for name, tensor in first.model.net.state_dict().items():
        assert torch.equal(tensor, second.model.net.state_dict()[name]), name


def test_save_and_load_give_the_same_predictions(trained, tmp_path):
    log, result = trained
    result.model.save(tmp_path / "model")
    assert {p.name for p in (tmp_path / "model").iterdir()} == {
        "propensity.json",
        "arrays.safetensors",
    }
    loaded = PropensityModel.load(tmp_path / "model")
    rows, p, reasons = score_customers(result.model, log, cutoff=300)
    rows2, p2, reasons2 = score_customers(loaded, log, cutoff=300)
    np.testing.assert_array_equal(rows, rows2)
    np.testing.assert_allclose(p, p2, rtol=1e-6)
    assert reasons == reasons2


def test_reasons_add_up_to_the_log_odds_and_name_the_features(trained):
    log, result = trained
    model = result.model
    rows, p, reasons = score_customers(model, log, cutoff=300)
    x = design_matrix(log, 300, model.projection)[rows[:20]]
    attributions = model.attributions(x, steps=64)
    a, b = model.calibration
    logit = a * model.logits(x) + b
    mean_logit = a * model.logits(model.mean[None, :].astype(np.float32)) + b
    np.testing.assert_allclose(attributions.sum(axis=1), logit - mean_logit, atol=0.05)
    assert all(1 <= len(r) <= 3 for r in reasons[:20])
    first = reasons[0][0]
    assert first["direction"] in ("raises", "lowers") and first["label"]
    # Counts are shown as counts, though the model sees their logarithm.
    everything = model.reasons(x, top=len(model.feature_names))
    shown = {r["feature"]: r["value"] for r in everything[0]}
    orders = ((log.order_customer == rows[0]) & (log.order_day < 300)).sum()
    assert shown["orders_log"] == pytest.approx(orders, abs=1e-3)


def test_recent_activity_raises_the_probability(trained):
    log, result = trained
    rows, p, _ = score_customers(result.model, log, cutoff=300)
    x = behaviour_features(log, 300)[rows]
    recent = x[:, column("days_since_last_visit")] <= 14
    lapsed = x[:, column("days_since_last_visit")] >= 120
    assert recent.any() and lapsed.any()
    assert p[recent].mean() > 2 * p[lapsed].mean()


def test_too_little_history_or_one_class_is_a_clear_error():
    short = simulated_log(customers=50, days=60, seed=2)
    with pytest.raises(ValueError, match="Too little history"):
        train_propensity(short, as_of_day=59, config=FAST)
    log = simulated_log(customers=80, days=300, seed=2)
    nobody_buys = replace(
        log,
        order_customer=log.order_customer[:0],
        order_day=log.order_day[:0],
        order_value=log.order_value[:0],
    )
    with pytest.raises(ValueError, match="same label"):
        train_propensity(nobody_buys, as_of_day=299, config=FAST)
