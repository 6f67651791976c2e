import math
import random

import numpy as np
import pytest

from ml.training.metrics import (
    ClassScores,
    accuracy,
    bootstrap_macro_f1,
    classification_report,
    confusion_matrix,
    macro_f1,
    majority_baseline,
    majority_class,
    per_class_scores,
    percentile_interval,
    perplexity,
)

# Hand-computed case: 3 classes, 6 rows.
Y_TRUE = [0, 0, 1, 1, 2, 2]
Y_PRED = [0, 1, 1, 1, 0, 2]


def test_accuracy_counts_exact_matches():
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 6)


def test_accuracy_of_no_rows_is_zero():
    assert accuracy([], []) == 0.0


def test_confusion_matrix_rows_are_true_columns_predicted():
    assert confusion_matrix(Y_TRUE, Y_PRED, 3) == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_confusion_matrix_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([0, 3], [0, 1], 3)


def test_per_class_scores_match_hand_computation():
    scores = per_class_scores(Y_TRUE, Y_PRED, 3)
    # class 0: TP 1, FP 1, FN 1 -> P 1/2, R 1/2, F1 1/2
    assert scores[0] == ClassScores(0.5, 0.5, 0.5, 2)
    # class 1: TP 2, FP 1, FN 0 -> P 2/3, R 1, F1 0.8
    assert scores[1].precision == pytest.approx(2 / 3)
    assert scores[1].recall == 1.0
    assert scores[1].f1 == pytest.approx(0.8)
    # class 2: TP 1, FP 0, FN 1 -> P 1, R 1/2, F1 2/3
    assert scores[2].f1 == pytest.approx(2 / 3)
    assert scores[2].support == 2


def test_macro_f1_is_the_unweighted_mean_of_class_f1():
    assert macro_f1(Y_TRUE, Y_PRED, 3) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_never_predicted_class_scores_zero_instead_of_raising():
    scores = per_class_scores([0, 1], [0, 0], 2)
    assert scores[1] == ClassScores(0.0, 0.0, 0.0, 1)
    assert macro_f1([0, 1], [0, 0], 2) == pytest.approx((2 / 3 + 0.0) / 2)


def test_macro_f1_without_num_classes_uses_seen_classes():
    assert macro_f1([1, 1], [1, 1]) == 1.0


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="labels"):
        accuracy([0, 1], [0])


def test_majority_class_breaks_ties_towards_the_smallest_label():
    assert majority_class([2, 1, 2, 1, 0]) == 1


def test_majority_baseline_predicts_the_training_majority_on_test_rows():
    baseline = majority_baseline([1, 1, 0], [1, 0, 0, 1], 2)
    assert baseline["accuracy"] == 0.5
    # class 1: P 1/2 R 1 F1 2/3; class 0: F1 0
    assert baseline["macro_f1"] == pytest.approx(1 / 3)


def test_classification_report_keys_per_class_by_label_name():
    report = classification_report(Y_TRUE, Y_PRED, ["neg", "neu", "pos"])
    assert set(report["per_class"]) == {"neg", "neu", "pos"}
    assert report["per_class"]["neu"]["recall"] == 1.0
    assert report["confusion_matrix"][2] == [1, 0, 1]
    assert report["rows"] == 6


def test_perplexity_is_exp_of_mean_loss():
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(20.0)) == pytest.approx(20.0)
    assert perplexity(1e6) == math.inf


def _noisy_predictions(n: int, error_rate: float, seed: int) -> tuple[list[int], list[int]]:
    rng = random.Random(seed)
    truth = [rng.randrange(3) for _ in range(n)]
    predicted = [t if rng.random() > error_rate else (t + 1) % 3 for t in truth]
    return truth, predicted


def test_bootstrap_macro_f1_is_exact_on_each_resample_and_centred_on_the_estimate():
    truth, predicted = _noisy_predictions(600, 0.3, seed=1)
    samples = bootstrap_macro_f1(truth, [predicted], 3, rounds=400, seed=5)
    assert samples.shape == (400, 1)
    # A resample's score is macro_f1 of its rows: the same seed draws the same rows.
    first_rows = np.random.default_rng(5).integers(0, 600, size=600)
    expected = macro_f1([truth[i] for i in first_rows], [predicted[i] for i in first_rows], 3)
    assert samples[0, 0] == pytest.approx(expected)
    assert samples[:, 0].mean() == pytest.approx(macro_f1(truth, predicted, 3), abs=0.01)


def test_bootstrap_spread_shrinks_as_one_over_root_n():
    truth, predicted = _noisy_predictions(500, 0.3, seed=2)
    small = bootstrap_macro_f1(truth, [predicted], 3, rounds=500, seed=0)[:, 0].std()
    large = bootstrap_macro_f1(truth * 4, [predicted * 4], 3, rounds=500, seed=0)[:, 0].std()
    assert large / small == pytest.approx(0.5, abs=0.1)


def test_bootstrap_columns_are_paired_on_the_same_rows():
    truth, predicted = _noisy_predictions(300, 0.3, seed=3)
    _, other = _noisy_predictions(300, 0.3, seed=3)  # the same predictions, a separate list
    samples = bootstrap_macro_f1(truth, [predicted, other], 3, rounds=200)
    assert (samples[:, 0] - samples[:, 1] == 0).all()  # unpaired draws would differ
    assert samples[:, 0].std() > 0


def test_bootstrap_of_perfect_predictions_is_one_and_bad_input_raises():
    rows = [0, 1, 2] * 50  # enough that every resample holds every class (an absent one scores 0)
    samples = bootstrap_macro_f1(rows, [rows], 3, rounds=50)
    assert (samples == 1.0).all()
    with pytest.raises(ValueError, match="at least one row"):
        bootstrap_macro_f1([], [[]], 3)
    with pytest.raises(ValueError, match="labels"):
        bootstrap_macro_f1([0, 1], [[0]], 3)
    with pytest.raises(ValueError, match="0..num_classes-1"):
        bootstrap_macro_f1([0, 1], [[0, 3]], 3)
    with pytest.raises(ValueError, match="0..num_classes-1"):
        bootstrap_macro_f1([-1, 1], [[0, 1]], 3)


def test_percentile_interval():
    assert percentile_interval(list(range(101)), 0.9) == pytest.approx((5.0, 95.0))
    with pytest.raises(ValueError, match="level"):
        percentile_interval([1.0, 2.0], 1.0)
