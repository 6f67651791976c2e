"""Per-class logit offsets chosen on validation rows to maximise macro-F1.

A classifier trained with cross-entropy picks argmax_c z_c, which suits accuracy; macro-F1
rewards getting the rare classes right as much as the common one, and its best decision rule
is usually argmax_c (z_c + b_c) for some offsets b (for a well-calibrated model, b shifts each
class's threshold; see Lipton, Elkan & Naroditsky 2014, "Thresholding classifiers to maximize
F1 score", for the binary case). We search b by coordinate ascent over a grid on held-out
validation logits: class 0 stays at 0 (only differences matter), each other class in turn takes
the grid value that gives the best macro-F1, for a few rounds. The offsets are kept only when
they raise validation macro-F1 by at least `min_gain`, so a run with too few validation rows to
trust keeps the plain argmax. Adding b to the output layer's bias makes the saved model apply
it everywhere the model is used, with no change to inference code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ml.training.metrics import macro_f1

DEFAULT_GRID = tuple(round(x, 2) for x in np.arange(-2.0, 2.0001, 0.05))


@dataclass(frozen=True)
class ClassOffsets:
    """Offsets to add to the logits, and validation macro-F1 without and with them."""

    offsets: tuple[float, ...]
    macro_f1_before: float
    macro_f1_after: float
    applied: bool


def fit_class_offsets(
    logits: np.ndarray,
    labels: Sequence[int],
    *,
    grid: Sequence[float] = DEFAULT_GRID,
    rounds: int = 3,
    min_gain: float = 0.005,
) -> ClassOffsets:
    """Offsets b maximising macro-F1 of argmax(logits + b) on these (validation) rows.

    logits: float array (n, K); labels: n ints in 0..K-1. Ties between grid values go to the
    smaller |b|, so the search never moves without a gain. Returns zero offsets with
    applied=False when the best gain is below min_gain.
    """
    scores = np.asarray(logits, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[0] != len(labels):
        raise ValueError("logits must have shape (len(labels), num_classes).")
    num_classes = scores.shape[1]
    truth = list(labels)

    def f1_with(offsets: np.ndarray) -> float:
        return macro_f1(truth, (scores + offsets).argmax(axis=1).tolist(), num_classes)

    offsets = np.zeros(num_classes)
    before = best = f1_with(offsets)
    ordered_grid = sorted(grid, key=abs)
    for _ in range(rounds):
        moved = False
        for c in range(1, num_classes):
            for value in ordered_grid:
                trial = offsets.copy()
                trial[c] = value
                score = f1_with(trial)
                if score > best + 1e-12:
                    best, offsets, moved = score, trial, True
        if not moved:
            break
    if best - before < min_gain:
        return ClassOffsets(tuple(0.0 for _ in range(num_classes)), before, before, False)
    return ClassOffsets(tuple(float(x) for x in offsets), before, best, True)
