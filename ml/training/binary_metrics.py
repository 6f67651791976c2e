"""Metrics of a binary probabilistic classifier, as pure functions of numpy arrays.

`y` holds the true labels (0 or 1), `p` the predicted probabilities of label 1. Each function
states its formula; ties and degenerate inputs are handled as scikit-learn does where it
defines the case (AUC with one class present is undefined: NaN here, not an exception).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _check(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64).ravel()
    p = np.asarray(p, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"{y.size} labels but {p.size} predictions.")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("Labels must be 0 or 1.")
    return y, p


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of `values`, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(values.size, dtype=np.float64)
    # Boundaries of runs of equal values in sorted order.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], values.size]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + 1 + end) / 2.0
    return ranks


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random positive is scored above a random
    negative, ties counting one half (Mann-Whitney U / (n_pos * n_neg), from average ranks).
    NaN when only one class is present."""
    y, p = _check(y, p)
    positives = int(y.sum())
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = _average_ranks(p)
    u = ranks[y == 1].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision: sum over thresholds of (R_k - R_{k-1}) * P_k, thresholds at each
    distinct score from high to low (scikit-learn's definition, no interpolation). NaN when
    there is no positive."""
    y, p = _check(y, p)
    positives = y.sum()
    if positives == 0:
        return math.nan
    order = np.argsort(-p, kind="mergesort")
    y_sorted, p_sorted = y[order], p[order]
    # Last index of each run of equal scores: a threshold admits the whole run at once.
    last = np.flatnonzero(np.r_[p_sorted[1:] != p_sorted[:-1], True])
    true_positives = np.cumsum(y_sorted)[last]
    predicted = last + 1.0
    precision = true_positives / predicted
    recall = true_positives / positives
    recall_steps = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_steps * precision))


def brier_score(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared difference between probability and outcome: mean((p - y)^2)."""
    y, p = _check(y, p)
    return float(np.mean((p - y) ** 2)) if y.size else math.nan


def log_loss(y: np.ndarray, p: np.ndarray, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy: -mean(y log p + (1 - y) log(1 - p)), p clipped to
    [eps, 1 - eps]."""
    y, p = _check(y, p)
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))) if y.size else math.nan


def reliability_bins(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """The reliability diagram's data: `bins` equal-width probability bins on [0, 1] (the last
    one closed), each with its count, mean predicted probability and observed positive rate
    (None for an empty bin)."""
    y, p = _check(y, p)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        out.append(
            {
                "lower": float(edges[b]),
                "upper": float(edges[b + 1]),
                "count": count,
                "mean_predicted": float(p[mask].mean()) if count else None,
                "observed_rate": float(y[mask].mean()) if count else None,
            }
        )
    return out


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Sum over reliability bins of (bin count / n) * |observed rate - mean predicted|."""
    y, _ = _check(y, p)
    if not y.size:
        return math.nan
    return float(
        sum(
            b["count"] / y.size * abs(b["observed_rate"] - b["mean_predicted"])
            for b in reliability_bins(y, p, bins)
            if b["count"]
        )
    )


def binary_report(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """AUC, average precision, Brier score, log loss, calibration error, the base rate and
    the reliability bins of one set of predictions."""
    y, p = _check(y, p)
    return {
        "rows": int(y.size),
        "positive_rate": float(y.mean()) if y.size else math.nan,
        "auc": roc_auc(y, p),
        "average_precision": average_precision(y, p),
        "brier": brier_score(y, p),
        "log_loss": log_loss(y, p),
        "ece": expected_calibration_error(y, p, bins),
        "reliability": reliability_bins(y, p, bins),
    }
