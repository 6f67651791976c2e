import math

import pytest

from ml.training.metrics import (
    ClassScores,
    accuracy,
    classification_report,
    confusion_matrix,
    macro_f1,
    majority_baseline,
    majority_class,
    per_class_scores,
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
