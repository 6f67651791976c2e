"""Time-based training and evaluation of the purchase-propensity model.

Windows, for an `as_of` day (the last day with known orders) and a horizon of H days:

- test cutoff T = as_of + 1 - H: features from days before T, labels from [T, as_of];
- validation cutoff T - H, training cutoffs T - H - step, T - H - 2 step, ... (`windows - 1`
  of them): every label window ends before T, so nothing the test rows are scored on was
  seen in training or model selection.

Both the network and the logistic-regression baseline are fitted on the training windows,
stopped early and calibrated on the validation window, and scored on the test window in the
same run. The family with the higher validation AUC is the one served; the test metrics of
both are reported either way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from insights.propensity_engine.features import (
    ActivityLog,
    TextProjection,
    design_matrix,
    eligible,
    feature_names,
    labels,
    text_means,
)
from insights.propensity_engine.model import (
    NetConfig,
    PropensityModel,
    fit_calibration,
    fit_net,
)
from ml.training.binary_metrics import binary_report, roc_auc

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class PropensityConfig:
    horizon_days: int = 30
    step_days: int = 14
    windows: int = 8
    text_components: int = 8
    net: NetConfig = NetConfig()
    baseline: NetConfig = NetConfig(hidden=(), dropout=0.0, learning_rate=1e-2)
    device: str = "cpu"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Window:
    cutoff: int
    rows: np.ndarray  # customer row indices
    x: np.ndarray
    y: np.ndarray

    def summary(self) -> dict[str, Any]:
        return {
            "cutoff_day": self.cutoff,
            "customers": int(self.rows.size),
            "positive_rate": round(float(self.y.mean()), 4) if self.y.size else None,
        }


@dataclass
class TrainResult:
    model: PropensityModel
    metrics: dict[str, Any]
    data_summary: dict[str, Any]


def _noop(percent: float, message: str = "") -> None:
    pass


def cutoffs(as_of_day: int, config: PropensityConfig) -> tuple[int, int, list[int]]:
    """(test cutoff, validation cutoff, training cutoffs from latest to earliest)."""
    test = as_of_day + 1 - config.horizon_days
    valid = test - config.horizon_days
    train = [valid - k * config.step_days for k in range(1, config.windows)]
    return test, valid, train


def _window(log: ActivityLog, cutoff: int, horizon: int, projection) -> Window:
    rows = np.flatnonzero(eligible(log, cutoff))
    x = design_matrix(log, cutoff, projection)[rows]
    return Window(cutoff=cutoff, rows=rows, x=x, y=labels(log, cutoff, horizon)[rows])


def _fit_projection(log: ActivityLog, cutoffs_: list[int], k: int) -> TextProjection | None:
    """PCA of the customers' mean text embeddings, on the training windows only."""
    if log.text_embeddings is None or k <= 0:
        return None
    blocks = []
    for cutoff in cutoffs_:
        found = text_means(log, cutoff)
        if found is not None:
            means, has = found
            blocks.append(means[has & eligible(log, cutoff)])
    stacked = np.concatenate(blocks) if blocks else np.zeros((0, 1), np.float32)
    return TextProjection.fit(stacked, k)


def _check_labels(name: str, y: np.ndarray) -> None:
    if y.size == 0:
        raise ValueError(f"The {name} window holds no customer.")
    if y.min() == y.max():
        raise ValueError(
            f"Every customer in the {name} window has the same label "
            f"({'bought' if y[0] else 'did not buy'}): nothing to learn or measure."
        )


def train_propensity(
    log: ActivityLog,
    *,
    as_of_day: int,
    config: PropensityConfig = PropensityConfig(),
    progress: Progress = _noop,
) -> TrainResult:
    """Fit, calibrate and evaluate both families on time-split windows of the log.

    Raises ValueError when the history is too short for the windows, or a window holds one
    class only.
    """
    started = time.perf_counter()
    test_cutoff, valid_cutoff, train_cutoffs = cutoffs(as_of_day, config)
    first = log.first_activity_day if (log.order_day.size or log.event_day.size) else as_of_day
    train_cutoffs = [c for c in train_cutoffs if c - 30 >= first]
    if config.windows < 2 or not train_cutoffs:
        raise ValueError(
            f"Too little history: a {config.horizon_days}-day horizon needs activity from "
            f"at least {config.horizon_days * 2 + config.step_days + 30} days before the "
            "as-of day, for one training, one validation and one test window."
        )
    progress(5, "Building the feature windows")
    projection = _fit_projection(log, train_cutoffs, config.text_components)
    horizon = config.horizon_days
    train = [_window(log, c, horizon, projection) for c in train_cutoffs]
    valid = _window(log, valid_cutoff, horizon, projection)
    test = _window(log, test_cutoff, horizon, projection)
    x_train = np.concatenate([w.x for w in train])
    y_train = np.concatenate([w.y for w in train])
    _check_labels("training", y_train)
    _check_labels("validation", valid.y)
    _check_labels("test", test.y)

    mean = x_train.mean(axis=0)
    scale = x_train.std(axis=0)
    scale[scale < 1e-6] = 1.0
    names = feature_names(projection)

    def standardise(x: np.ndarray) -> np.ndarray:
        return ((x - mean) / scale).astype(np.float32)

    fitted: dict[str, PropensityModel] = {}
    logs = {}
    for index, (family, net_config) in enumerate(
        (("neural", config.net), ("logistic", config.baseline))
    ):
        base = 15 + index * 40

        def report(epoch: int, epochs: int, base=base, family=family) -> None:
            progress(base + 35 * epoch / epochs, f"Training the {family} model: epoch {epoch}")

        net, fit_log = fit_net(
            standardise(x_train),
            y_train,
            standardise(valid.x),
            valid.y,
            net_config,
            device=config.device,
            progress=report,
        )
        model = PropensityModel(
            net=net,
            net_config=net_config,
            feature_names=names,
            mean=mean,
            scale=scale,
            horizon_days=horizon,
            family=family,
            projection=projection,
        )
        model.calibration = fit_calibration(model.logits(valid.x), valid.y)
        fitted[family] = model
        logs[family] = fit_log

    progress(95, "Evaluating on the test window")
    evaluation: dict[str, Any] = {}
    for family, model in fitted.items():
        evaluation[family] = {
            "validation": _rounded(binary_report(valid.y, model.predict_proba(valid.x))),
            "test": _rounded(binary_report(test.y, model.predict_proba(test.x))),
            "epochs_run": logs[family].epochs_run,
            "best_epoch": logs[family].best_epoch,
        }
    neural_valid = roc_auc(valid.y, fitted["neural"].predict_proba(valid.x))
    logistic_valid = roc_auc(valid.y, fitted["logistic"].predict_proba(valid.x))
    served = "neural" if neural_valid >= logistic_valid else "logistic"
    model = fitted[served]
    neural_test = evaluation["neural"]["test"]
    baseline_test = evaluation["logistic"]["test"]
    model.info = {
        "as_of_day": as_of_day,
        "test_cutoff_day": test_cutoff,
        "config": config.as_dict(),
    }
    metrics = {
        "auc": evaluation[served]["test"]["auc"],
        "average_precision": evaluation[served]["test"]["average_precision"],
        "brier": evaluation[served]["test"]["brier"],
        "served_family": served,
        "neural_beats_baseline": bool(neural_test["auc"] > baseline_test["auc"]),
        "baseline": {"test": {"auc": baseline_test["auc"]}},
        "models": evaluation,
        "seconds": round(time.perf_counter() - started, 2),
    }
    summary = {
        "customers": log.size,
        "orders": int(log.order_day.size),
        "events": int(log.event_day.size),
        "reviews": int(log.review_day.size),
        "texts": int(log.text_index.size) if log.text_embeddings is not None else 0,
        "horizon_days": horizon,
        "train_windows": [w.summary() for w in train],
        "validation_window": valid.summary(),
        "test_window": test.summary(),
        "training_rows": int(y_train.size),
        "features": names,
    }
    return TrainResult(model=model, metrics=metrics, data_summary=summary)


def score_customers(
    model: PropensityModel, log: ActivityLog, *, cutoff: int, top_reasons: int = 3
) -> tuple[np.ndarray, np.ndarray, list[list[dict[str, Any]]]]:
    """(customer row indices, probabilities, reasons) for every customer signed up before
    `cutoff`, from their activity on days before it."""
    rows = np.flatnonzero(eligible(log, cutoff))
    x = design_matrix(log, cutoff, model.projection)[rows]
    if rows.size == 0:
        return rows, np.zeros(0), []
    return rows, model.predict_proba(x), model.reasons(x, top=top_reasons)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 5)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def config_with(config: PropensityConfig, **changes: Any) -> PropensityConfig:
    """A copy of the config with top-level fields or `net_*` network fields changed."""
    net_changes = {k[4:]: v for k, v in changes.items() if k.startswith("net_")}
    top = {k: v for k, v in changes.items() if not k.startswith("net_")}
    return replace(config, net=replace(config.net, **net_changes), **top)
