"""Classification and language-model metrics as pure functions of integer label sequences.

Conventions: labels are class indices 0..K-1; a ratio whose denominator is zero is 0.0 (as
scikit-learn's `zero_division=0`), so an absent or never-predicted class scores 0 instead of
raising.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall and F1 of one class, and its support (true count)."""

    precision: float
    recall: float
    f1: float
    support: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_pair(y_true: Sequence[int], y_pred: Sequence[int]) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}.")


def _classes(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int | None) -> list[int]:
    if num_classes is not None:
        return list(range(num_classes))
    return sorted(set(y_true) | set(y_pred))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Share of exact matches: accuracy = (1/N) * sum_i [y_true_i == y_pred_i]; 0.0 if N = 0."""
    _check_pair(y_true, y_pred)
    return _ratio(sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == p), len(y_true))


def confusion_matrix(
    y_true: Sequence[int], y_pred: Sequence[int], num_classes: int
) -> list[list[int]]:
    """Counts C[t][p] = #{i : y_true_i = t and y_pred_i = p}; rows are true, columns predicted.

    Raises ValueError for a label outside 0..num_classes-1.
    """
    _check_pair(y_true, y_pred)
    matrix = [[0] * num_classes for _ in range(num_classes)]
    for t, p in zip(y_true, y_pred, strict=True):
        if not (0 <= t < num_classes and 0 <= p < num_classes):
            raise ValueError(f"Label pair ({t}, {p}) is outside 0..{num_classes - 1}.")
        matrix[t][p] += 1
    return matrix


def per_class_scores(
    y_true: Sequence[int], y_pred: Sequence[int], num_classes: int | None = None
) -> dict[int, ClassScores]:
    """Per class c, with TP_c, FP_c, FN_c counted one-vs-rest:

    precision_c = TP_c / (TP_c + FP_c)
    recall_c    = TP_c / (TP_c + FN_c)
    F1_c        = 2 * precision_c * recall_c / (precision_c + recall_c)
    support_c   = TP_c + FN_c

    Classes are 0..num_classes-1, or those seen in y_true or y_pred when num_classes is None.
    """
    _check_pair(y_true, y_pred)
    true_counts = Counter(y_true)
    pred_counts = Counter(y_pred)
    hits = Counter(t for t, p in zip(y_true, y_pred, strict=True) if t == p)
    scores: dict[int, ClassScores] = {}
    for c in _classes(y_true, y_pred, num_classes):
        precision = _ratio(hits[c], pred_counts[c])
        recall = _ratio(hits[c], true_counts[c])
        f1 = _ratio(2 * precision * recall, precision + recall)
        scores[c] = ClassScores(precision, recall, f1, true_counts[c])
    return scores


def macro_f1(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int | None = None) -> float:
    """Unweighted mean of per-class F1: macro_F1 = (1/K) * sum_c F1_c over the K classes.

    Classes are 0..num_classes-1, or those seen in y_true or y_pred when num_classes is None.
    """
    scores = per_class_scores(y_true, y_pred, num_classes)
    return _ratio(sum(s.f1 for s in scores.values()), len(scores))


def majority_class(labels: Sequence[int]) -> int:
    """The most frequent label (the smallest such label on a tie). Raises on an empty list."""
    if not labels:
        raise ValueError("majority_class needs at least one label.")
    counts = Counter(labels)
    return min(counts, key=lambda label: (-counts[label], label))


def majority_baseline(
    train_labels: Sequence[int], test_labels: Sequence[int], num_classes: int
) -> dict[str, float]:
    """Accuracy and macro-F1 on test_labels of always predicting the training majority class."""
    predicted = [majority_class(train_labels)] * len(test_labels)
    return {
        "accuracy": accuracy(test_labels, predicted),
        "macro_f1": macro_f1(test_labels, predicted, num_classes),
    }


def classification_report(
    y_true: Sequence[int], y_pred: Sequence[int], label_names: Sequence[str]
) -> dict[str, Any]:
    """accuracy, macro_f1, per_class (keyed by label name) and confusion_matrix, JSON-ready."""
    k = len(label_names)
    per_class = per_class_scores(y_true, y_pred, k)
    return {
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": macro_f1(y_true, y_pred, k),
        "per_class": {label_names[c]: s.as_dict() for c, s in per_class.items()},
        "confusion_matrix": confusion_matrix(y_true, y_pred, k),
        "labels": list(label_names),
        "rows": len(y_true),
    }


def perplexity(mean_loss: float) -> float:
    """Perplexity from the mean token cross-entropy (natural log): PPL = exp(mean_loss).

    Returns inf when exp overflows (mean_loss above ~709).
    """
    try:
        return math.exp(mean_loss)
    except OverflowError:
        return math.inf
