"""Choosing when the intent model is "not sure" (pure: numpy and ml.training, no Django).

A prediction is accepted when its softmax probability (the model's confidence) reaches the
version's reject threshold; below it the assistant asks again or hands over to a person.
The threshold is chosen on the validation rows of the training run (the trainer's own split,
reproduced from the same rows, fractions and seed), stored in the model directory as
REJECT_FILE, and reported on the test rows, which played no part in choosing it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

REJECT_FILE = "reject_threshold.json"
# Share of accepted predictions that must be right on the validation rows.
DEFAULT_TARGET_PRECISION = 0.9


@dataclass(frozen=True)
class RejectThreshold:
    """threshold: accept a prediction when confidence >= threshold.

    precision = correct accepted / accepted, coverage = accepted / rows, on the rows the
    threshold was chosen on. reaches_target is False when no threshold gave the target
    precision: then the threshold lies above every confidence seen and nothing is accepted.
    """

    threshold: float
    target_precision: float
    precision: float
    coverage: float
    rows: int
    reaches_target: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def choose_reject_threshold(
    confidences: Sequence[float],
    correct: Sequence[bool],
    *,
    target_precision: float = DEFAULT_TARGET_PRECISION,
) -> RejectThreshold:
    """The lowest threshold t among the confidences whose accepted set {i : c_i >= t} has
    precision (sum of correct_i over it / its size) >= target_precision, i.e. the one that
    accepts the most predictions at that precision. Raises ValueError on no rows, mismatched
    lengths or a target outside (0, 1].
    """
    if not 0 < target_precision <= 1:
        raise ValueError("target_precision must lie in (0, 1].")
    scores = np.asarray(confidences, dtype=np.float64)
    hits = np.asarray(correct, dtype=bool)
    if scores.shape != hits.shape or scores.ndim != 1:
        raise ValueError("confidences and correct must be two lists of the same length.")
    if not len(scores):
        raise ValueError("Choosing a threshold needs at least one row.")
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_hits = scores[order], hits[order]
    accepted = np.arange(1, len(scores) + 1)
    precision = np.cumsum(sorted_hits) / accepted
    # Only cut where the next confidence is lower: tied rows are accepted together.
    cut = np.append(sorted_scores[1:] < sorted_scores[:-1], True)
    good = np.flatnonzero(cut & (precision >= target_precision - 1e-12))
    if not len(good):
        return RejectThreshold(
            threshold=math.nextafter(float(sorted_scores[0]), math.inf),
            target_precision=target_precision,
            precision=0.0,
            coverage=0.0,
            rows=len(scores),
            reaches_target=False,
        )
    last = int(good[-1])
    return RejectThreshold(
        threshold=float(sorted_scores[last]),
        target_precision=target_precision,
        precision=float(precision[last]),
        coverage=float(accepted[last] / len(scores)),
        rows=len(scores),
        reaches_target=True,
    )


def accepted_scores(
    confidences: Sequence[float], correct: Sequence[bool], threshold: float
) -> dict[str, float]:
    """precision and coverage of accepting confidence >= threshold, and accuracy of all rows."""
    scores = np.asarray(confidences, dtype=np.float64)
    hits = np.asarray(correct, dtype=bool)
    keep = scores >= threshold
    return {
        "precision": float(hits[keep].mean()) if keep.any() else 0.0,
        "coverage": float(keep.mean()) if len(keep) else 0.0,
        "accuracy": float(hits.mean()) if len(hits) else 0.0,
        "rows": int(len(hits)),
    }


def fit_reject_threshold(
    *,
    output_dir: Path,
    texts: Sequence[str],
    labels: Sequence[str],
    config: Any,
    test: tuple[Sequence[str], Sequence[str]] | None = None,
    target_precision: float = DEFAULT_TARGET_PRECISION,
) -> dict[str, Any]:
    """Choose the reject threshold of a trained model and write it to output_dir/REJECT_FILE.

    `texts`, `labels`, `test` and `config` (a ClassifierTrainConfig) must be those the model
    was trained with: the trainer's validation and test rows are rebuilt from them. The model is
    scored through EncoderEngine on config.device, the path that serves it, so the
    probabilities match those seen at inference. Returns {"reject_threshold": {...}} for the
    version's metrics.
    """
    from ml.training.classification import classifier_splits
    from ml.training.inference import EncoderEngine, EncoderEngineConfig

    encoding, splits = classifier_splits(texts, labels, config, test=test)
    engine = EncoderEngine(
        output_dir, EncoderEngineConfig(max_length=config.max_length, device=config.device)
    )
    parts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, split in (("validation", splits.validation), ("test", splits.test)):
        classified = engine.classify(list(split.texts))
        predicted = classified.probabilities.argmax(axis=1)
        truth = np.array([engine.label_names.index(encoding.labels[i]) for i in split.labels])
        parts[name] = (classified.probabilities.max(axis=1), predicted == truth)
    chosen = choose_reject_threshold(*parts["validation"], target_precision=target_precision)
    outcome = {
        **chosen.as_dict(),
        "strategy": "lowest max-softmax threshold whose accepted validation predictions "
        f"reach precision {target_precision}",
        "test": accepted_scores(*parts["test"], chosen.threshold),
    }
    (Path(output_dir) / REJECT_FILE).write_text(json.dumps(outcome, indent=2) + "\n")
    return {"reject_threshold": outcome}


def read_reject_threshold(model_dir: Path) -> float | None:
    """The threshold stored with a model, or None when it has none (accept every prediction)."""
    path = Path(model_dir) / REJECT_FILE
    if not path.is_file():
        return None
    return float(json.loads(path.read_text())["threshold"])
