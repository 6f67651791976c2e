"""Reads of support: training examples, the intent model and its predictions, evaluation.

A training example's label is, from strongest to weakest: the intent staff corrected a shopper
message to, then IntentExample rows (corrections, then staff examples, then the seed set; the
newest first within each). The model's own predictions are never used as labels.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.db.models import Case, Count, IntegerField, Max, QuerySet, Value, When

from ml import selectors as ml_selectors
from ml.evaluation import named_classification_report
from ml.exceptions import AliasNotSet
from ml.models import ModelAlias, ModelVersion
from support.models import Article, Conversation, Handoff, Intent, IntentExample, Message, Passage

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
    from ml.serving import classifier_engine
    from support.intent_engine import read_reject_threshold

    return IntentModel(
        engine=classifier_engine(path, version), threshold=read_reject_threshold(path)
    )


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


# --- knowledge base -----------------------------------------------------------------------

KB_INDEX_JOB_KIND = "support_kb_index"


def article_list(*, published_only: bool = False) -> QuerySet[Article]:
    articles = Article.objects.order_by("topic", "title")
    return articles.filter(is_published=True) if published_only else articles


def product_fact_rows() -> list[dict]:
    """Every active product's catalogue facts (title, category, price, currency, stock,
    attributes, description), in id order; one query."""
    from shop import selectors as shop_selectors

    return [
        {
            "id": product.pk,
            "title": product.title,
            "category": product.category.name if product.category else None,
            "price": product.price,
            "currency": product.currency,
            "stock": product.stock,
            "attributes": product.attributes,
            "description": product.description,
        }
        for product in shop_selectors.product_list().order_by("pk")
    ]


def encoder_name() -> str:
    return str(settings.ML_ENCODER)


def embed(texts: Sequence[str]):
    """L2-normalised embeddings of `texts` by the configured base encoder (float32 rows)."""
    from ml.serving import encoder_engine

    return encoder_engine().embed(list(texts))


@dataclass(frozen=True)
class PassageInfo:
    id: int
    kind: str
    text: str
    article_id: int | None
    article_title: str
    product_id: int | None
    product_title: str


@dataclass(frozen=True)
class LoadedKnowledge:
    token: tuple
    index: object  # support.knowledge.PassageIndex
    passages: dict[int, PassageInfo]


class _KnowledgeCache:
    """The passage matrix of this process, rebuilt when the stored index changes (a re-index
    replaces every row, so the encoder, the count, the largest id and the latest indexing
    time identify a version; one aggregate query per retrieval checks it)."""

    def __init__(self) -> None:
        self._loaded: LoadedKnowledge | None = None
        self._lock = threading.Lock()

    def get(self) -> LoadedKnowledge:
        from support.knowledge import PassageIndex, embedding_from_bytes

        encoder = encoder_name()
        stats = Passage.objects.filter(encoder=encoder).aggregate(
            n=Count("pk"), last=Max("pk"), at=Max("indexed_at")
        )
        token = (encoder, stats["n"], stats["last"], stats["at"])
        with self._lock:
            if self._loaded is not None and self._loaded.token == token:
                return self._loaded
            rows = list(
                Passage.objects.filter(encoder=encoder)
                .order_by("pk")
                .values_list(
                    "pk",
                    "kind",
                    "text",
                    "article_id",
                    "article__title",
                    "product_id",
                    "product__title",
                    "embedding",
                )
            )
            passages = {
                pk: PassageInfo(pk, kind, text, article, title or "", product, product_title or "")
                for pk, kind, text, article, title, product, product_title, _ in rows
            }
            vectors = [embedding_from_bytes(row[-1]) for row in rows]
            dims = {len(vector) for vector in vectors}
            if len(dims) > 1:
                raise ValueError("Passages of one encoder have embeddings of different sizes.")
            matrix = np.stack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
            self._loaded = LoadedKnowledge(
                token=token,
                index=PassageIndex([row[0] for row in rows], matrix),
                passages=passages,
            )
            return self._loaded

    def clear(self) -> None:
        with self._lock:
            self._loaded = None


knowledge_cache = _KnowledgeCache()


@dataclass(frozen=True)
class Retrieved:
    passage: PassageInfo
    score: float


def knowledge_retrieve(
    query: str, *, k: int | None = None, threshold: float | None = None
) -> list[Retrieved]:
    """The passages most similar to `query` (already redacted) whose cosine similarity
    reaches settings.SUPPORT_RETRIEVAL_THRESHOLD (or `threshold`), at most
    settings.SUPPORT_RETRIEVAL_TOP_K (or `k`), best first. Empty when nothing is indexed."""
    loaded = knowledge_cache.get()
    if len(loaded.index) == 0:
        return []
    query_vector = embed([query])[0]
    hits = loaded.index.search(
        query_vector,
        k=k if k is not None else settings.SUPPORT_RETRIEVAL_TOP_K,
        threshold=threshold if threshold is not None else settings.SUPPORT_RETRIEVAL_THRESHOLD,
    )
    return [Retrieved(loaded.passages[hit.passage_id], hit.score) for hit in hits]


def knowledge_index_summary() -> dict[str, int]:
    counts = dict(
        Passage.objects.filter(encoder=encoder_name())
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return {
        "articles": Article.objects.filter(is_published=True).count(),
        "article_passages": counts.get(Passage.Kind.ARTICLE, 0),
        "product_passages": counts.get(Passage.Kind.PRODUCT, 0),
    }


# --- conversations ------------------------------------------------------------------------


def conversation_for_customer(*, conversation_id: int, customer) -> Conversation | None:
    """The conversation if it belongs to `customer` (None otherwise)."""
    if customer is None:
        return None
    return Conversation.objects.filter(pk=conversation_id, customer=customer).first()


def conversation_for_secret(*, conversation_id: int, secret: str) -> Conversation | None:
    """The anonymous conversation whose secret is `secret` (None otherwise); compared in
    constant time."""
    import hmac

    if not secret:
        return None
    conversation = Conversation.objects.filter(pk=conversation_id, customer__isnull=True).first()
    if conversation is None or not conversation.secret_hash:
        return None
    if not hmac.compare_digest(conversation.secret_hash, secret_hash(secret)):
        return None
    return conversation


def secret_hash(secret: str) -> str:
    import hashlib

    return hashlib.sha256(secret.encode()).hexdigest()


def message_list(*, conversation_id: int) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("predicted_intent")
        .order_by("created_at", "pk")
    )


def shopper_messages_before(*, conversation_id: int, limit: int = 10) -> list[Message]:
    """The conversation's latest shopper messages (newest first), at most `limit`."""
    return list(
        Message.objects.filter(conversation_id=conversation_id, role=Message.Role.SHOPPER).order_by(
            "-created_at", "-pk"
        )[:limit]
    )


def handoff_open_for(*, conversation_id: int) -> Handoff | None:
    return (
        Handoff.objects.filter(conversation_id=conversation_id)
        .exclude(status=Handoff.Status.RESOLVED)
        .first()
    )


def handoff_get(*, handoff_id: int) -> Handoff:
    """Raises Handoff.DoesNotExist."""
    return Handoff.objects.select_related("conversation__customer", "intent", "agent").get(
        pk=handoff_id
    )


def transcript(*, conversation: Conversation, viewer) -> list[dict]:
    """The conversation's messages as a viewer may see them: the assigned agent sees the
    shopper's words as written; anyone else sees them with personal data redacted."""
    from support.redaction import redact_text

    raw = viewer is not None and conversation.assigned_agent_id == getattr(viewer, "pk", None)
    return [
        {
            "role": message.role,
            "role_label": message.get_role_display(),
            "text": message.text if raw else redact_text(message.text),
            "created_at": message.created_at,
            "citations": message.citations,
            "intent": message.predicted_intent.name if message.predicted_intent else "",
            "confidence": message.confidence,
            "helpful": message.helpful,
        }
        for message in message_list(conversation_id=conversation.pk)
    ]


# --- dashboard ----------------------------------------------------------------------------

DASHBOARD_WEEKS = 8
DASHBOARD_CHARTS = ("intents", "containment", "reasons", "satisfaction")
TOP_INTENTS = 5


def _weeks(now, weeks: int) -> list:
    from datetime import timedelta

    start = (now - timedelta(days=now.weekday())).date()
    return [start - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def _since(first_week):
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(first_week, time.min))


def dashboard_chart(*, name: str, now=None, weeks: int = DASHBOARD_WEEKS) -> dict:
    """One chart of the support dashboard (the JSON shape of insights.home.charts) over the
    last `weeks` weeks (Monday-based, the current one included). Raises KeyError for an
    unknown name.

    - intents: shopper messages per week by predicted intent (the most frequent ones; the
      rest as "other", below the threshold as "not sure");
    - containment: share of the week's conversations with an assistant answer that were never
      handed to a person;
    - reasons: handoffs by reason over the whole period;
    - satisfaction: the week's average conversation rating (1-5) and share of rated answers
      marked helpful.
    """
    from django.db.models.functions import TruncWeek
    from django.utils import timezone

    from insights.home.charts import chart_payload, chart_series

    builders = {
        "intents": _chart_intents,
        "containment": _chart_containment,
        "reasons": _chart_reasons,
        "satisfaction": _chart_satisfaction,
    }
    build = builders[name]
    week_starts = _weeks(now or timezone.now(), weeks)
    labels = [week.isoformat() for week in week_starts]
    return build(
        since=_since(week_starts[0]),
        labels=labels,
        week=TruncWeek("created_at"),
        payload=chart_payload,
        series=chart_series,
    )


def _week_key(value) -> str:
    return value.date().isoformat() if hasattr(value, "date") else str(value)


def _chart_intents(*, since, labels, week, payload, series) -> dict:
    rows = (
        Message.objects.filter(role=Message.Role.SHOPPER, created_at__gte=since)
        .annotate(week=week)
        .values_list("week", "predicted_intent__name")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for week_start, name, n in rows:
        name = name or "Not sure"
        counts.setdefault(name, {})[_week_key(week_start)] = n
        totals[name] = totals.get(name, 0) + n
    top = sorted(totals, key=lambda name: (-totals[name], name))[:TOP_INTENTS]
    other: dict[str, int] = {}
    for name, by_week in counts.items():
        if name not in top:
            for key, n in by_week.items():
                other[key] = other.get(key, 0) + n
    lines = [
        series(f"intent-{i}", name, [counts[name].get(label, 0) for label in labels])
        for i, name in enumerate(top)
    ]
    if other:
        lines.append(series("other", "Other intents", [other.get(label, 0) for label in labels]))
    return payload(
        kind="bar",
        title="Shopper messages by intent",
        x_label="Week",
        labels=labels,
        series=lines or [series("none", "Messages", [0] * len(labels))],
    )


def _chart_containment(*, since, labels, week, payload, series) -> dict:
    rows = (
        Conversation.objects.filter(created_at__gte=since, messages__role=Message.Role.ASSISTANT)
        .distinct()
        .annotate(week=week)
        .values_list("week", "pk")
    )
    handed = set(
        Handoff.objects.filter(conversation__created_at__gte=since).values_list(
            "conversation_id", flat=True
        )
    )
    total: dict[str, int] = {}
    contained: dict[str, int] = {}
    for week_start, pk in rows:
        key = _week_key(week_start)
        total[key] = total.get(key, 0) + 1
        contained[key] = contained.get(key, 0) + (pk not in handed)
    rates = [
        round(100 * contained.get(label, 0) / total[label], 1) if total.get(label) else None
        for label in labels
    ]
    return payload(
        kind="line",
        title="Containment (answered without a person)",
        x_label="Week",
        labels=labels,
        series=[series("containment", "Contained conversations", rates)],
        percent=True,
    )


def _chart_reasons(*, since, labels, week, payload, series) -> dict:
    counts = dict(
        Handoff.objects.filter(created_at__gte=since)
        .values_list("reason")
        .annotate(n=Count("pk"))
        .values_list("reason", "n")
    )
    reasons = Handoff.Reason
    return payload(
        kind="bar",
        title="Handoffs by reason",
        x_label="Reason",
        labels=[label for _value, label in reasons.choices],
        series=[series("handoffs", "Handoffs", [counts.get(v, 0) for v in reasons.values])],
    )


def _chart_satisfaction(*, since, labels, week, payload, series) -> dict:
    from django.db.models import Avg, Q

    ratings = dict(
        Conversation.objects.filter(created_at__gte=since, rating__isnull=False)
        .annotate(week=week)
        .values_list("week")
        .annotate(avg=Avg("rating"))
        .values_list("week", "avg")
    )
    ratings = {_week_key(k): v for k, v in ratings.items()}
    helpful = {
        _week_key(w): (yes, n)
        for w, yes, n in Message.objects.filter(created_at__gte=since, helpful__isnull=False)
        .annotate(week=week)
        .values_list("week")
        .annotate(yes=Count("pk", filter=Q(helpful=True)), n=Count("pk"))
        .values_list("week", "yes", "n")
    }
    return payload(
        kind="line",
        title="Satisfaction",
        x_label="Week",
        labels=labels,
        series=[
            series(
                "rating",
                "Average conversation rating",
                [round(ratings[day], 2) if day in ratings else None for day in labels],
                unit="of 5",
            ),
            series(
                "helpful",
                "Answers rated helpful (%)",
                [
                    round(100 * helpful[day][0] / helpful[day][1], 1) if day in helpful else None
                    for day in labels
                ],
                axis="right",
                unit="%",
            ),
        ],
    )
