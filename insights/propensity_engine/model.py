"""The propensity model: a small feed-forward network trained with binary cross-entropy on
standardised features, with a logistic-regression baseline of the same contract (the same
network with no hidden layer), temperature/bias calibration on a validation window, and
per-customer explanations by integrated gradients.

Saved as `propensity.json` (configuration, feature names, standardiser, calibration) and
`arrays.safetensors` (network weights and the text projection): never pickle.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import load_file, save_file
from torch import nn

from insights.propensity_engine.features import (
    FEATURES,
    LOG_FEATURES,
    TEXT_FEATURE_PREFIX,
    TEXT_REASON,
    TextProjection,
)
from ml.training.devices import resolve_device
from ml.training.reproducibility import seeded

CONFIG_FILE = "propensity.json"
ARRAYS_FILE = "arrays.safetensors"
FORMAT_VERSION = 1
_LABELS = dict(FEATURES)


@dataclass(frozen=True)
class NetConfig:
    """Architecture and optimisation of one network. `hidden=()` is logistic regression."""

    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.1
    epochs: int = 60
    batch_size: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 6
    seed: int = 0


class WideDeep(nn.Module):
    """A linear term on the inputs plus a feed-forward network (Cheng et al., 2016, "Wide &
    Deep Learning"): the network learns what the linear model misses, and with no hidden
    layer this is logistic regression."""

    def __init__(self, inputs: int, config: NetConfig):
        super().__init__()
        self.wide = nn.Linear(inputs, 1)
        layers: list[nn.Module] = []
        width = inputs
        for size in config.hidden:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(config.dropout)]
            width = size
        if layers:
            layers.append(nn.Linear(width, 1, bias=False))
        self.deep = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.wide(x)
        return out + self.deep(x) if len(self.deep) else out


def build_net(inputs: int, config: NetConfig) -> WideDeep:
    return WideDeep(inputs, config)


@dataclass
class FitLog:
    epochs_run: int = 0
    best_epoch: int = 0
    best_validation_loss: float = math.inf
    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)


def fit_net(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    config: NetConfig,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> tuple[WideDeep, FitLog]:
    """Train with AdamW on mean binary cross-entropy (with logits), keep the epoch with the
    lowest validation loss, stop after `patience` epochs without improvement."""
    dev = resolve_device(device)
    xt = torch.as_tensor(x_train, dtype=torch.float32, device=dev)
    yt = torch.as_tensor(y_train, dtype=torch.float32, device=dev)
    xv = torch.as_tensor(x_valid, dtype=torch.float32, device=dev)
    yv = torch.as_tensor(y_valid, dtype=torch.float32, device=dev)
    loss_fn = nn.BCEWithLogitsLoss()
    log = FitLog()
    with seeded(config.seed, dev):
        # Built inside the seeded block: the initial weights are part of the run.
        net = build_net(x_train.shape[1], config).to(dev)
        best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        optimiser = torch.optim.AdamW(
            net.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        generator = torch.Generator(device="cpu").manual_seed(config.seed)
        stale = 0
        for epoch in range(1, config.epochs + 1):
            net.train()
            order = torch.randperm(xt.shape[0], generator=generator).to(dev)
            total = 0.0
            for start in range(0, xt.shape[0], config.batch_size):
                batch = order[start : start + config.batch_size]
                optimiser.zero_grad()
                loss = loss_fn(net(xt[batch]).squeeze(1), yt[batch])
                loss.backward()
                optimiser.step()
                total += loss.item() * batch.numel()
            net.eval()
            with torch.no_grad():
                valid_loss = float(loss_fn(net(xv).squeeze(1), yv))
            log.epochs_run = epoch
            log.train_loss.append(round(total / max(xt.shape[0], 1), 5))
            log.validation_loss.append(round(valid_loss, 5))
            if progress:
                progress(epoch, config.epochs)
            if valid_loss < log.best_validation_loss - 1e-5:
                log.best_validation_loss, log.best_epoch, stale = valid_loss, epoch, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                stale += 1
                if stale >= config.patience:
                    break
    net.load_state_dict(best_state)
    net.eval()
    return net.cpu(), log


def fit_calibration(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling of a network's logits: (a, b) minimising the cross-entropy of
    sigmoid(a * logit + b) on held-out rows; (1, 0) when the rows hold one class only."""
    if y.min() == y.max():
        return 1.0, 0.0
    z = torch.as_tensor(logits, dtype=torch.float64)
    t = torch.as_tensor(y, dtype=torch.float64)
    a = torch.ones((), dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([a, b], lr=0.5, max_iter=100)
    loss_fn = nn.BCEWithLogitsLoss()

    def closure():
        optimiser.zero_grad()
        loss = loss_fn(a * z + b, t)
        loss.backward()
        return loss

    optimiser.step(closure)
    a_value, b_value = a.item(), b.item()
    if not (math.isfinite(a_value) and math.isfinite(b_value)) or a_value <= 0:
        return 1.0, 0.0
    return a_value, b_value


def _shown(name: str, value: float) -> float:
    """A feature's value as staff read it (counts and amounts, not their logarithms)."""
    return math.expm1(value) if name in LOG_FEATURES else value


@dataclass
class PropensityModel:
    """A fitted model: network, standardiser, calibration and the text projection."""

    net: WideDeep
    net_config: NetConfig
    feature_names: list[str]
    mean: np.ndarray
    scale: np.ndarray
    horizon_days: int
    family: str  # "neural" or "logistic"
    calibration: tuple[float, float] = (1.0, 0.0)
    projection: TextProjection | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def standardise(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale).astype(np.float32)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated network outputs of raw feature rows."""
        with torch.no_grad():
            out = self.net(torch.as_tensor(self.standardise(x))).squeeze(1)
        return out.numpy().astype(np.float64)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """P(order within the horizon) of each raw feature row."""
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * self.logits(x) + b)))

    def attributions(self, x: np.ndarray, steps: int = 24) -> np.ndarray:
        """Integrated gradients of the calibrated logit, from the training mean (all-zero
        standardised row) to each row: (rows, features), summing per row to
        logit(row) - logit(mean). For the logistic family this is exactly w_i * z_i."""
        z = torch.as_tensor(self.standardise(x))
        a = self.calibration[0]
        total = torch.zeros_like(z)
        for k in range(1, steps + 1):
            point = (z * (k - 0.5) / steps).requires_grad_(True)
            self.net(point).sum().backward()
            total += point.grad
        return (a * z * total / steps).detach().numpy()

    def reasons(self, x: np.ndarray, top: int = 3) -> list[list[dict[str, Any]]]:
        """Each row's `top` largest contributions (text components summed into one), with the
        feature's value, its effect on the log-odds and its direction."""
        contributions = self.attributions(x)
        text_columns = [
            i for i, name in enumerate(self.feature_names) if name.startswith(TEXT_FEATURE_PREFIX)
        ]
        out = []
        for row, values in zip(contributions, x, strict=True):
            items = [
                (name, float(row[i]), _shown(name, float(values[i])))
                for i, name in enumerate(self.feature_names)
                if i not in text_columns
            ]
            if text_columns:
                items.append(("texts", float(row[text_columns].sum()), None))
            items.sort(key=lambda item: -abs(item[1]))
            out.append(
                [
                    {
                        "feature": name,
                        "label": _LABELS.get(name, TEXT_REASON),
                        "value": None if value is None else round(value, 3),
                        "effect": round(effect, 4),
                        "direction": "raises" if effect > 0 else "lowers",
                    }
                    for name, effect, value in items[:top]
                    if abs(effect) > 1e-6
                ]
            )
        return out

    # --- persistence ------------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        arrays["mean"] = self.mean.astype(np.float32)
        arrays["scale"] = self.scale.astype(np.float32)
        if self.projection is not None:
            arrays["projection.mean"] = self.projection.mean
            arrays["projection.components"] = self.projection.components
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, directory / ARRAYS_FILE)
        config = {
            "format": FORMAT_VERSION,
            "family": self.family,
            "net": asdict(self.net_config),
            "feature_names": self.feature_names,
            "horizon_days": self.horizon_days,
            "calibration": list(self.calibration),
            "info": self.info,
        }
        (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> PropensityModel:
        directory = Path(directory)
        config = json.loads((directory / CONFIG_FILE).read_text())
        if config.get("format") != FORMAT_VERSION:
            raise ValueError(f"Unknown propensity model format {config.get('format')!r}.")
        arrays = load_file(directory / ARRAYS_FILE)
        net_config = NetConfig(**{**config["net"], "hidden": tuple(config["net"]["hidden"])})
        names = list(config["feature_names"])
        net = build_net(len(names), net_config)
        net.load_state_dict(
            {k[4:]: torch.as_tensor(v) for k, v in arrays.items() if k.startswith("net.")}
        )
        net.eval()
        projection = None
        if "projection.components" in arrays:
            projection = TextProjection(
                mean=arrays["projection.mean"], components=arrays["projection.components"]
            )
        return cls(
            net=net,
            net_config=net_config,
            feature_names=names,
            mean=arrays["mean"],
            scale=arrays["scale"],
            horizon_days=int(config["horizon_days"]),
            family=config["family"],
            calibration=tuple(config["calibration"]),
            projection=projection,
            info=config.get("info", {}),
        )
