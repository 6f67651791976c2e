"""Writes of purchase propensity: train and register a model version, and score every
customer with the champion.

The pure work lives in `insights.propensity_engine` (features, the network and its logistic
baseline, the time-based split and the metrics). Here the store's activity is read through
the selectors, the engine runs, the model goes into the registry like any other, and the
scores replace the stored ones in one transaction.
"""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insights.models import PurchasePropensity
from insights.propensity_engine.model import PropensityModel
from insights.propensity_engine.training import (
    PropensityConfig,
    config_with,
    score_customers,
    train_propensity,
)
from insights.selectors import propensity as selectors
from ml import selectors as ml_selectors
from ml import services as ml_services
from ml.exceptions import AliasNotSet
from ml.models import Job, ModelVersion

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
HEADLINE_METRIC = "auc"
WRITE_BATCH_SIZE = 1000


def _no_progress(percent: float, message: str = "") -> None:
    return None


def _encoder_embed(texts: list[str]) -> np.ndarray:
    from ml.serving import encoder_engine

    return encoder_engine().embed(texts)


@dataclass(frozen=True)
class TrainOutcome:
    version: ModelVersion
    promoted: bool


def propensity_train(
    *,
    as_of: date | None = None,
    use_text: bool = True,
    promote: bool = True,
    training_job_id: int | None = None,
    progress: Progress = _no_progress,
    **config: Any,
) -> TrainOutcome:
    """Train the network and its baseline on time-split windows of the store's history,
    register the served one as a `purchase_propensity` version, and promote it when there is
    no champion or its test AUC is at least the champion's.

    `config` overrides PropensityConfig fields (`horizon_days`, `step_days`, `windows`,
    `text_components`) and network fields prefixed `net_` (`net_epochs`, `net_hidden`, ...).
    Raises ValueError when the history is too short or a window holds one class only.
    """
    as_of = as_of or timezone.localdate()
    progress(1, "Reading the store's activity")
    log = selectors.propensity_activity_log(as_of=as_of, embed=_encoder_embed if use_text else None)
    engine_config = config_with(
        PropensityConfig(device=str(settings.ML_DEVICE)),
        **({} if use_text else {"text_components": 0}),
        **config,
    )
    result = train_propensity(
        log,
        as_of_day=as_of.toordinal(),
        config=engine_config,
        progress=lambda p, m: progress(3 + p * 0.9, m),
    )
    summary = {
        **result.data_summary,
        "as_of": as_of.isoformat(),
        "test_window_start": date.fromordinal(result.model.info["test_cutoff_day"]).isoformat(),
    }
    progress(95, "Registering the model")
    with tempfile.TemporaryDirectory(prefix="propensity-") as tmp:
        result.model.save(Path(tmp) / "model")
        version = ml_services.modelversion_register(
            task=selectors.PROPENSITY_TASK,
            source_dir=Path(tmp) / "model",
            base_model=str(settings.ML_ENCODER) if use_text else "",
            training_job_id=training_job_id,
            data_summary=summary,
            hyperparameters={**engine_config.as_dict(), "use_text": use_text},
            metrics=result.metrics,
        )
    promoted = promote and _beats_champion(result.metrics.get(HEADLINE_METRIC))
    if promoted:
        ml_services.alias_promote(version_id=version.pk, user=None)
    return TrainOutcome(version=version, promoted=bool(promoted))


def _beats_champion(score: float | None) -> bool:
    champion = selectors.propensity_champion()
    if champion is None:
        return True
    if score is None:
        return False
    current = champion["metrics"].get(HEADLINE_METRIC)
    return current is None or score >= current


@functools.lru_cache(maxsize=4)
def _load_model(version_id: int, sha256: str) -> PropensityModel:
    version = ml_selectors.modelversion_get(version_id=version_id)
    return PropensityModel.load(ml_selectors.artifact_local_dir(version=version))


def propensity_score_all(*, as_of: date | None = None, progress: Progress = _no_progress) -> int:
    """Score every customer who allows profiling with the champion model, from their
    activity up to the end of `as_of` (default today); replace the stored scores. Returns the
    number of customers scored.

    Raises AliasNotSet when no model has been promoted yet.
    """
    champion = selectors.propensity_champion()
    if champion is None:
        raise AliasNotSet("No purchase propensity champion yet: train one first.")
    version = champion["version"]
    model = _load_model(version.pk, version.sha256)
    as_of = as_of or timezone.localdate()
    progress(5, "Reading the store's activity")
    log = selectors.propensity_activity_log(
        as_of=as_of, embed=_encoder_embed if model.projection is not None else None
    )
    progress(40, f"Scoring {log.size} customers")
    rows, probabilities, reasons = score_customers(model, log, cutoff=as_of.toordinal() + 1)
    now = timezone.now()
    scores = [
        PurchasePropensity(
            customer_id=int(log.customer_ids[row]),
            model_version=version,
            probability=float(np.clip(p, 0.0, 1.0)),
            horizon_days=model.horizon_days,
            reasons=why,
            scored_at=now,
        )
        for row, p, why in zip(rows, probabilities, reasons, strict=True)
    ]
    progress(80, "Saving the scores")
    _replace_scores(scores, scored_at=now)
    return len(scores)


@transaction.atomic
def _replace_scores(scores: list[PurchasePropensity], *, scored_at) -> None:
    """Upsert the new scores, then drop the rows this scoring did not write (customers who
    withdrew consent, were erased or deleted)."""
    PurchasePropensity.objects.bulk_create(
        scores,
        batch_size=WRITE_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["model_version", "probability", "horizon_days", "reasons", "scored_at"],
    )
    PurchasePropensity.objects.exclude(scored_at=scored_at).delete()


def propensity_job_submit(*, kind: str, params: dict | None = None, user=None) -> Job:
    """Submit a training or scoring job, or return the one already queued or running."""
    queued = selectors.propensity_job_queued()
    if queued is not None:
        return queued
    return ml_services.job_submit(kind=kind, params=params or {}, created_by=user)
