"""Choosing the confidence below which the intent model says "not sure" (pure functions)."""

import math

import pytest

from support.intent_engine import accepted_scores, choose_reject_threshold

# Sorted by confidence: precision of the top k is 1, 1, 1, 3/4, 4/5, 4/6.
CONFIDENCES = [0.6, 0.95, 0.5, 0.8, 0.7, 0.9]
CORRECT = [True, True, False, True, False, True]


def test_the_lowest_threshold_that_keeps_the_target_precision_is_chosen():
    chosen = choose_reject_threshold(CONFIDENCES, CORRECT, target_precision=0.75)

    assert chosen.threshold == 0.6
    assert (chosen.precision, chosen.coverage, chosen.rows) == (0.8, 5 / 6, 6)
    assert chosen.reaches_target is True


def test_a_stricter_target_accepts_fewer_predictions():
    chosen = choose_reject_threshold(CONFIDENCES, CORRECT, target_precision=0.9)

    assert (chosen.threshold, chosen.precision, chosen.coverage) == (0.8, 1.0, 0.5)


def test_rows_with_the_same_confidence_are_accepted_or_rejected_together():
    chosen = choose_reject_threshold([0.9, 0.9, 0.5], [True, False, True], target_precision=1.0)

    assert chosen.reaches_target is False
    assert chosen.threshold == math.nextafter(0.9, math.inf)
    assert chosen.coverage == 0.0


def test_a_model_that_is_always_right_accepts_everything():
    chosen = choose_reject_threshold([0.3, 0.4, 0.99], [True, True, True], target_precision=0.9)

    assert (chosen.threshold, chosen.coverage, chosen.precision) == (0.3, 1.0, 1.0)


@pytest.mark.parametrize(
    ("confidences", "correct", "target"),
    [([], [], 0.9), ([0.5, 0.6], [True], 0.9), ([0.5], [True], 0.0), ([0.5], [True], 1.5)],
)
def test_bad_input_is_refused(confidences, correct, target):
    with pytest.raises(ValueError):
        choose_reject_threshold(confidences, correct, target_precision=target)


def test_accepted_scores_report_precision_and_coverage_at_a_threshold():
    assert accepted_scores(CONFIDENCES, CORRECT, 0.7) == {
        "precision": 0.75,
        "coverage": 4 / 6,
        "accuracy": 4 / 6,
        "rows": 6,
    }
