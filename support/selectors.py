"""Reads of support: training examples, the intent model and its predictions, evaluation.

A training example's label is, from strongest to weakest: the intent staff corrected a shopper
message to, then IntentExample rows (corrections, then staff examples, then the seed set; the
newest first within each). The model's own predictions are never used as labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When

from ml import selectors as ml_selectors
from ml.evaluation import named_classification_report
from ml.exceptions import AliasNotSet
from ml.models import ModelAlias, ModelVersion
from support.models import Conversation, Intent, IntentExample, Message

INTENT_TASK = "intent"
TRAINING_DATASET = "support_intents"
# Strongest source last: it overwrites the label of the same text from a weaker one.
_SOURCE_STRENGTH = {
    IntentExample.Source.SEED: 0,
    IntentExample.Source.STAFF: 1,
    IntentExample.Source.CORRECTION: 2,
}


# --- training examples --------------------------------------------------------------------


@dataclass(frozen=True)
class IntentTrainingExamples:
    texts: list[str]
    labels: list[str]
    corrected: int
    by_source: dict[str, int] = field(default_factory=dict)


def intent_training_examples(*, limit: int) -> IntentTrainingExamples:
    """Text and intent key of at most `limit` distinct texts, for fine-tuning (two queries).

    Texts are compared after trimming and lower-casing, so one text never carries two labels.
    Corrected messages come first, so a row limit never drops what staff labelled.
    """
    labelled: dict[str, tuple[str, str, str]] = {}  # normalised text -> (text, intent, source)
    strength = Case(
        *(When(source=source, then=Value(rank)) for source, rank in _SOURCE_STRENGTH.items()),
        output_field=IntegerField(),
    )
    examples = (
        IntentExample.objects.annotate(strength=strength)
        .order_by("strength", "created_at", "pk")
        .values_list("text", "intent__key", "source")
    )
    for text, key, source in examples:
        labelled[_normalised(text)] = (text.strip(), key, source)
    corrections = (
        Message.objects.filter(corrected_intent__isnull=False, role=Message.Role.SHOPPER)
        .order_by("created_at", "pk")
        .values_list("text", "corrected_intent__key")
    )
    corrected: dict[str, tuple[str, str, str]] = {}
    for text, key in corrections:
        if text.strip():
            corrected[_normalised(text)] = (text.strip(), key, "message correction")
            labelled.pop(_normalised(text), None)
    rows = [*corrected.values(), *labelled.values()][:limit]
    by_source: dict[str, int] = {}
    for _text, _key, source in rows:
        by_source[source] = by_source.get(source, 0) + 1
    return IntentTrainingExamples(
        texts=[text for text, _key, _source in rows],
        labels=[key for _text, key, _source in rows],
        corrected=min(len(corrected), limit),
        by_source=by_source,
    )


def _normalised(text: str) -> str:
    return " ".join(text.split()).lower()


def intent_list() -> QuerySet[Intent]:
    return Intent.objects.order_by("name")


def intent_example_list() -> QuerySet[IntentExample]:
    return IntentExample.objects.select_related("intent", "created_by").order_by(
        "intent__name", "text"
    )


def conversation_list() -> QuerySet[Conversation]:
    return Conversation.objects.select_related("customer", "assigned_agent").order_by("-updated_at")


# --- the model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IntentModel:
    """A loaded intent classifier and the confidence below which it says "not sure"."""

    engine: object
    threshold: float | None


def intent_model_load(path: Path, version: ModelVersion) -> IntentModel:
    """ModelCache loader of an intent version: an EncoderEngine on settings.ML_DEVICE and the
    reject threshold stored with it (None for a version trained without one)."""
    from ml.training.inference import EncoderEngine, EncoderEngineConfig
    from support.intent_engine import read_reject_threshold

    max_length = int((version.hyperparameters or {}).get("max_length", 128))
    engine = EncoderEngine(
        path, EncoderEngineConfig(max_length=max_length, device=settings.ML_DEVICE)
    )
    return IntentModel(engine=engine, threshold=read_reject_threshold(path))


def intent_champion() -> ModelVersion | None:
    alias = ml_selectors.alias_get(task=INTENT_TASK, alias=ModelAlias.Name.CHAMPION)
    return alias.version if alias else None


def intent_version_get(*, version: int) -> ModelVersion:
    """Intent version number `version`; raises ModelVersion.DoesNotExist."""
    return ModelVersion.objects.get(task=INTENT_TASK, version=version)


def _served_intent_model(version: int | None) -> tuple[ModelVersion, IntentModel]:
    from ml.serving import model_cache

    if version is None:
        try:
            served = model_cache.get(task=INTENT_TASK, load=intent_model_load)
        except AliasNotSet as exc:
            raise AliasNotSet(
                "No intent model is champion yet: fine-tune one (task intent) and promote it."
            ) from exc
        return served.version, served.model
    model_version = intent_version_get(version=version)
    path = ml_selectors.artifact_local_dir(version=model_version)
    return model_version, intent_model_load(path, model_version)


class IntentPrediction(NamedTuple):
    """intent: the predicted intent key, or None when confidence is below the version's
    threshold ("not sure": ask again or hand over); best_guess: the top intent either way."""

    intent: str | None
    confidence: float
    version: ModelVersion
    best_guess: str


def intent_predict(texts: Sequence[str], *, version: int | None = None) -> list[IntentPrediction]:
    """The intent of each text by the champion (or version number `version`), in input order.

    Raises AliasNotSet (no champion), ModelVersion.DoesNotExist (no such version) and
    ArtifactIntegrityError (damaged artifact).
    """
    model_version, model = _served_intent_model(version)
    return _predict(model_version, model, texts)


def _predict(
    model_version: ModelVersion, model: IntentModel, texts: Sequence[str]
) -> list[IntentPrediction]:
    if not texts:
        return []
    classified = model.engine.classify(list(texts))
    confidences = classified.probabilities.max(axis=1)
    threshold = model.threshold
    return [
        IntentPrediction(
            intent=label if threshold is None or confidence >= threshold else None,
            confidence=float(confidence),
            version=model_version,
            best_guess=label,
        )
        for label, confidence in zip(classified.labels, confidences, strict=True)
    ]


# --- evaluation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IntentEvaluation:
    """Scores of one version on labelled texts (formulas in ml.training.metrics).

    accuracy, macro_f1 and per_class score the top intent of every row; not_sure_share is the
    share of rows below the threshold, and accepted_accuracy the accuracy of the others.
    """

    version: ModelVersion
    rows: int
    accuracy: float
    macro_f1: float
    not_sure_share: float
    accepted_accuracy: float
    threshold: float | None
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    labels: tuple[str, ...] = ()


def intent_evaluate(
    *, texts: Sequence[str], labels: Sequence[str], version: int | None = None
) -> IntentEvaluation:
    """Evaluate the champion (or version number `version`) on labelled texts.

    Raises what intent_predict raises, and LabelledFileError for a label the model lacks.
    """
    model_version, model = _served_intent_model(version)
    names = tuple(model.engine.label_names)
    predictions = _predict(model_version, model, texts)
    report = named_classification_report(labels, [p.best_guess for p in predictions], names)
    accepted = [(p, label) for p, label in zip(predictions, labels, strict=True) if p.intent]
    return IntentEvaluation(
        version=model_version,
        rows=len(texts),
        accuracy=report["accuracy"],
        macro_f1=report["macro_f1"],
        not_sure_share=1 - len(accepted) / len(texts) if texts else 0.0,
        accepted_accuracy=(
            sum(p.intent == label for p, label in accepted) / len(accepted) if accepted else 0.0
        ),
        threshold=model.threshold,
        per_class=report["per_class"],
        labels=names,
    )
