"""The binary classifier metrics agree with scikit-learn's on random and tied scores."""

import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from ml.training import binary_metrics as bm


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("rounded", [False, True])
def test_metrics_match_scikit_learn(seed, rounded):
    rng = np.random.default_rng(seed)
    y = (rng.random(400) < 0.3).astype(int)
    p = np.clip(0.3 * y + rng.random(400) * 0.7, 0, 1)
    if rounded:  # many ties
        p = np.round(p, 1)
    assert bm.roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert bm.average_precision(y, p) == pytest.approx(average_precision_score(y, p), abs=1e-12)
    assert bm.brier_score(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    clipped = np.clip(p, 1e-7, 1 - 1e-7)
    assert bm.log_loss(y, p) == pytest.approx(log_loss(y, clipped), abs=1e-9)


def test_auc_is_nan_with_one_class_and_errors_are_clear():
    assert math.isnan(bm.roc_auc(np.ones(5), np.linspace(0, 1, 5)))
    assert math.isnan(bm.average_precision(np.zeros(5), np.linspace(0, 1, 5)))
    with pytest.raises(ValueError, match="0 or 1"):
        bm.roc_auc(np.array([0, 2]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="2 labels but 3"):
        bm.brier_score(np.array([0, 1]), np.array([0.1, 0.2, 0.3]))


def test_reliability_bins_and_calibration_error():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.05, 0.15, 0.95, 0.85, 1.0, 0.9])
    bins = bm.reliability_bins(y, p, bins=10)
    assert [b["count"] for b in bins] == [1, 1, 0, 0, 0, 0, 0, 0, 1, 3]
    assert bins[2]["observed_rate"] is None
    assert bins[9]["mean_predicted"] == pytest.approx((0.95 + 1.0 + 0.9) / 3)
    assert bins[9]["observed_rate"] == pytest.approx(2 / 3)
    # ECE: bin weights times |observed - predicted|.
    expected = (1 / 6) * 0.05 + (1 / 6) * 0.15 + (1 / 6) * 0.15 + (3 / 6) * abs(2 / 3 - 0.95)
    assert bm.expected_calibration_error(y, p) == pytest.approx(expected)
    # A perfectly calibrated constant predictor has no calibration error.
    assert bm.expected_calibration_error(np.array([1, 0, 0, 0]), np.full(4, 0.25)) == 0.0
