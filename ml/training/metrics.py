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

import numpy as np


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


def bootstrap_macro_f1(
    y_true: Sequence[int],
    predictions: Sequence[Sequence[int]],
    num_classes: int,
    *,
    rounds: int = 1000,
    seed: int = 0,
) -> np.ndarray:
    """Macro-F1 of each prediction list on `rounds` bootstrap resamples of the rows.

    Each round draws len(y_true) row indices with replacement (numpy's default_rng(seed)) and
    scores every prediction list on the same rows, so the columns are paired: the spread of
    column a - column b is the sampling uncertainty of the difference between two models on
    rows like these (Efron & Tibshirani 1993, ch. 13), which is narrower than either model's
    own spread when they err on the same rows. Returns a float array (rounds, len(predictions)).
    """
    truth = np.asarray(y_true, dtype=np.int64)
    n = len(truth)
    if n == 0 or rounds < 1:
        raise ValueError("bootstrap_macro_f1 needs at least one row and one round.")
    for predicted in predictions:
        _check_pair(y_true, predicted)
    columns = [np.asarray(p, dtype=np.int64) for p in predictions]
    for labels in (truth, *columns):
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError("Labels must lie in 0..num_classes-1.")
    rng = np.random.default_rng(seed)
    samples = np.empty((rounds, len(predictions)))
    # Cell t * K + p of a row's (true, predicted) pair; a resample's confusion matrix is the
    # bincount of its rows' cells.
    cells = [truth * num_classes + predicted for predicted in columns]
    for r in range(rounds):
        rows = rng.integers(0, n, size=n)
        for j, cell in enumerate(cells):
            matrix = np.bincount(cell[rows], minlength=num_classes * num_classes)
            samples[r, j] = _macro_f1_of_matrix(matrix.reshape(num_classes, num_classes))
    return samples


def _macro_f1_of_matrix(matrix: np.ndarray) -> float:
    """macro_f1 from a confusion matrix (rows true, columns predicted); F1_c = 2TP / (2TP+FP+FN)."""
    hits = np.diag(matrix).astype(np.float64)
    denominators = matrix.sum(axis=0) + matrix.sum(axis=1)
    f1 = np.divide(2 * hits, denominators, out=np.zeros_like(hits), where=denominators > 0)
    return float(f1.mean())


def percentile_interval(samples: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """The central `level` percentile interval of bootstrap samples, e.g. (2.5%, 97.5%)."""
    if not 0 < level < 1:
        raise ValueError("level must lie in (0, 1).")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.asarray(samples, dtype=np.float64), [tail, 100 - tail])
    return float(low), float(high)


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
