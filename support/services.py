"""Writes of support: the seed set, staff examples and intent corrections, intent training."""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ml import services as ml_services
from ml.exceptions import AliasNotSet
from ml.models import Job
from support import answering, selectors, tools
from support.exceptions import (
    HandoffNotFound,
    HandoffResolved,
    HandoffTakenByOther,
    NotAnAnswer,
    NotAShopperMessage,
)
from support.models import Article, Conversation, Handoff, Intent, IntentExample, Message, Passage
from support.redaction import redact_text
from support.seed import seed_load
from support.selectors import INTENT_TASK, TRAINING_DATASET
from support.tools import ToolResult

logger = logging.getLogger(__name__)
Progress = Callable[[float, str], None]


def _no_progress(percent: float, message: str = "") -> None:
    return None


FINETUNE_KIND = "finetune_classifier"


@transaction.atomic
def intent_seed_load() -> dict[str, int]:
    """Create the store's intents and seed examples that are missing (idempotent).

    Side effects: inserts Intent and IntentExample (source seed) rows; never changes or
    deletes existing ones. Returns {"intents": created, "examples": created}.
    """
    return seed_load(intent_model=Intent, example_model=IntentExample)


@transaction.atomic
def intent_example_add(
    *, text: str, intent: Intent, source: str = IntentExample.Source.STAFF, user=None
) -> IntentExample:
    """The example (text, intent), created if new (an existing one is returned unchanged)."""
    example, _ = IntentExample.objects.get_or_create(
        text=text.strip(),
        intent=intent,
        defaults={"source": source, "created_by": user if getattr(user, "pk", None) else None},
    )
    return example


@transaction.atomic
def message_intent_correct(*, message_id: int, intent: Intent, user=None) -> Message:
    """Record that shopper message `message_id` has intent `intent`.

    Side effects: locks and updates the message's corrected_intent, and adds the text as an
    IntentExample (source correction), so the next fine-tune trains on it. Raises
    NotAShopperMessage for an assistant or agent message, Message.DoesNotExist if absent.
    """
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.role != Message.Role.SHOPPER:
        raise NotAShopperMessage("Only shopper messages have an intent to correct.")
    message.corrected_intent = intent
    message.save(update_fields=["corrected_intent"])
    intent_example_add(
        text=message.text, intent=intent, source=IntentExample.Source.CORRECTION, user=user
    )
    return message


def intent_train_params(
    *,
    csv_path: str | None = None,
    test_path: str | None = None,
    text_column: str = "text",
    label_column: str = "intent",
    **hyper: Any,
) -> dict[str, Any]:
    """`finetune_classifier` parameters that train an intent version: on a CSV file, else on
    the store's examples (the support_intents dataset), tested on the rows of `test_path` when
    given. `hyper` adds epochs, max_rows, ..."""
    data: dict[str, Any] = {"task": INTENT_TASK, "dataset": TRAINING_DATASET}
    if csv_path:
        data |= {"dataset": "csv_file", "path": str(csv_path)}
    if csv_path or test_path:
        data |= {"text_column": text_column, "label_column": label_column}
    if test_path:
        data["test_path"] = str(test_path)
    return {**data, **{k: v for k, v in hyper.items() if v is not None}}


def intent_train_in_process(*, params: dict[str, Any], user=None) -> Job:
    """Run the `finetune_classifier` job with `params` here and now (see intent_train_params).

    Side effects: a Job row and, on success, a ModelVersion of task "intent" (promoted to
    champion when params["promote"] and it beats the champion). Returns the finished job;
    bad parameters raise DRF ValidationError.
    """
    return ml_services.job_run_in_process(kind=FINETUNE_KIND, params=params, created_by=user)


# --- knowledge base -----------------------------------------------------------------------

KB_SEED_FILE = Path(__file__).resolve().parent / "data" / "kb_articles.json"
EMBED_BATCH = 64


@transaction.atomic
def article_seed_load(path: Path = KB_SEED_FILE) -> int:
    """Create the seed articles of `path` (a JSON list of {title, topic, body}) whose title is
    not taken yet; existing articles are left as staff edited them. Returns how many were
    created. Raises ValueError for a malformed file, before anything is written."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    topics = set(Article.Topic.values)
    for row in rows:
        if not {"title", "topic", "body"} <= set(row) or row["topic"] not in topics:
            raise ValueError(f"Bad seed article {row.get('title', '?')!r} in {path}.")
    existing = set(Article.objects.values_list("title", flat=True))
    new = [
        Article(title=row["title"], topic=row["topic"], body=row["body"], is_published=True)
        for row in rows
        if row["title"] not in existing
    ]
    Article.objects.bulk_create(new)
    return len(new)


def knowledge_index_rebuild(*, progress: Progress = _no_progress) -> dict[str, Any]:
    """Split every published article into passages and every active product into a facts
    passage, embed them with the configured encoder and replace the stored index.

    The embedding runs first; the swap (delete every passage, insert the new ones) is one
    transaction, so readers see the old index or the new one. Each process's in-memory
    matrix notices the change on its next query. Calls `progress` (which may raise
    JobCancelled) after each batch.
    """
    from support.knowledge import embedding_to_bytes, product_passage, split_passages

    progress(1, "Splitting articles and products into passages")
    pending: list[dict[str, Any]] = []
    for article in selectors.article_list(published_only=True):
        for position, text in enumerate(split_passages(article.title, article.body)):
            pending.append(
                {
                    "kind": Passage.Kind.ARTICLE,
                    "article_id": article.pk,
                    "position": position,
                    "text": text,
                }
            )
    articles = len({row["article_id"] for row in pending})
    for product in selectors.product_fact_rows():
        pending.append(
            {
                "kind": Passage.Kind.PRODUCT,
                "product_id": product["id"],
                "position": 0,
                "text": product_passage(product),
            }
        )
    encoder = selectors.encoder_name()
    progress(3, f"Embedding {len(pending)} passages")
    for start in range(0, len(pending), EMBED_BATCH):
        batch = pending[start : start + EMBED_BATCH]
        vectors = selectors.embed([row["text"] for row in batch])
        for row, vector in zip(batch, vectors, strict=True):
            row["embedding"] = embedding_to_bytes(vector)
        done = start + len(batch)
        progress(3 + 92 * done / len(pending), f"{done}/{len(pending)} passages embedded")
    with transaction.atomic():
        Passage.objects.all().delete()
        Passage.objects.bulk_create(
            [Passage(encoder=encoder, **row) for row in pending], batch_size=500
        )
    progress(100, "Index replaced")
    return {
        "articles": articles,
        "article_passages": sum(row["kind"] == Passage.Kind.ARTICLE for row in pending),
        "product_passages": sum(row["kind"] == Passage.Kind.PRODUCT for row in pending),
        "encoder": encoder,
    }


def knowledge_index_submit(*, user=None) -> Job:
    """Queue the `support_kb_index` job (side effect: a Job row, sent after commit)."""
    return ml_services.job_submit(kind=selectors.KB_INDEX_JOB_KIND, params={}, created_by=user)


# --- answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """An assistant answer: its text, what it cites, how it was made (generated, extractive,
    tools, greeting, unknown) and the order numbers it involved."""

    text: str
    citations: list[dict] = field(default_factory=list)
    source: str = "unknown"
    orders: list[str] = field(default_factory=list)
    rejected_generation: str = ""


def _passage_citation(hit: selectors.Retrieved) -> dict:
    passage = hit.passage
    base = {"passage_id": passage.id, "score": round(hit.score, 4)}
    if passage.kind == Passage.Kind.PRODUCT:
        return {
            **base,
            "kind": "product",
            "product_id": passage.product_id,
            "title": passage.product_title,
            "excerpt": passage.text[:300],
        }
    body = answering.passage_body(passage.text, passage.article_title)
    return {
        **base,
        "kind": "article",
        "article_id": passage.article_id,
        "title": passage.article_title,
        "excerpt": body[:300],
    }


def answer_compose(
    *, customer, text: str, intent: str | None, generate: bool | None = None
) -> Answer:
    """The grounded answer to shopper text `text` (already redacted).

    Order intents, and any message naming an order number, run the order tools for
    `customer` only (support.tools); other intents retrieve knowledge passages (order status
    questions the tools answered do not). With nothing from either: a greeting for the
    greeting intent, else "I don't know" and the offer of a person. When `generate` (default
    settings.SUPPORT_GENERATE_ANSWERS) and passages were found, the generator phrases the
    answer; a phrasing with a claim the sources lack is rejected for the extractive one.
    """
    tool = ToolResult()
    if intent in answering.ORDER_INTENTS or tools.order_numbers_in(text):
        tool = tools.order_tools_run(customer=customer, text=text, intent=intent)
    hits: list[selectors.Retrieved] = []
    if not (intent == "order_status" and tool.lines):
        hits = _retrieve(text)
    citations = [*tool.citations, *(_passage_citation(hit) for hit in hits)]
    passages = [answering.passage_body(hit.passage.text, hit.passage.article_title) for hit in hits]
    if not tool.lines and not passages:
        if intent == answering.GREETING_INTENT:
            return Answer(text=answering.GREETING, source="greeting")
        return Answer(text=answering.DONT_KNOW, source="unknown")
    extractive = answering.extractive_answer(tool.lines, passages)
    if not passages:
        return Answer(text=extractive, citations=citations, source="tools", orders=tool.orders)
    generate = settings.SUPPORT_GENERATE_ANSWERS if generate is None else generate
    if generate and not tool.refused:
        sources = [*tool.lines, *passages]
        proposal = _generated_answer(text, sources)
        if proposal and not answering.ungrounded_claims(proposal, sources):
            return Answer(
                text=proposal, citations=citations, source="generated", orders=tool.orders
            )
        return Answer(
            text=extractive,
            citations=citations,
            source="extractive",
            orders=tool.orders,
            rejected_generation=proposal,
        )
    return Answer(text=extractive, citations=citations, source="extractive", orders=tool.orders)


def _retrieve(text: str) -> list[selectors.Retrieved]:
    try:
        return selectors.knowledge_retrieve(text)
    except Exception:  # noqa: BLE001 - without the encoder the honest answer is "I don't know"
        logger.exception("knowledge retrieval failed; answering without passages")
        return []


@functools.lru_cache(maxsize=1)
def _generator(source: str, cache_dir: str, device: str):
    from ml.training.inference import GeneratorEngine
    from ml.training.loading import generator_prepare

    return GeneratorEngine(generator_prepare(source, cache_dir), device=device)


def _generated_answer(question: str, sources: Sequence[str]) -> str:
    """The generator's phrasing (greedy, at most 80 new tokens), or "" when it fails."""
    from ml.training.inference import GenerationParams

    try:
        engine = _generator(
            str(settings.ML_GENERATOR), str(settings.ML_CACHE_DIR), str(settings.ML_DEVICE)
        )
        params = GenerationParams(
            max_new_tokens=80,
            do_sample=False,
            temperature=0.0,
            stop=("\n",),
            max_input_tokens=768,
        )
        output = engine.generate([answering.generation_prompt(question, sources)], params)[0]
    except Exception:  # noqa: BLE001 - the extractive answer is still correct
        logger.exception("generator unavailable; answering extractively")
        return ""
    return answering.generated_answer_clean(output)


# --- conversations ------------------------------------------------------------------------


@transaction.atomic
def conversation_start(*, customer=None, session_id: str = "") -> tuple[Conversation, str]:
    """A new conversation of `customer` (None: an anonymous shopper). For an anonymous one,
    also a fresh secret (returned once; only its SHA-256 is stored) that the storefront must
    send back with every later call; "" for a customer's."""
    secret = "" if customer is not None else secrets.token_urlsafe(24)
    conversation = Conversation.objects.create(
        customer=customer,
        session_id=session_id[:64],
        secret_hash=selectors.secret_hash(secret) if secret else "",
    )
    return conversation, secret


@dataclass(frozen=True)
class Turn:
    shopper_message: Message
    reply: Message | None
    handoff: Handoff | None


def _understand(text: str):
    try:
        return selectors.intent_predict([text])[0]
    except AliasNotSet:
        return None
    except Exception:  # noqa: BLE001 - a broken intent model must not stop the chat
        logger.exception("intent model unavailable; treating the message as not understood")
        return None


def _sentiment(text: str) -> tuple[str | None, bool]:
    """(label, available): the sentiment champion's label for `text`, if there is one."""
    from insights.services.aspects import sentence_sentiment

    sentiment = sentence_sentiment()
    if sentiment.engine is None:
        return None, False
    return sentiment.labels([text])[0], True


def _max_similarity(text: str, earlier: Sequence[str]) -> float:
    if not earlier:
        return 0.0
    try:
        vectors = selectors.embed([text, *earlier])
    except Exception:  # noqa: BLE001 - the other handoff rules still apply
        logger.exception("encoder unavailable; repeated questions are not detected")
        return 0.0
    return float(np.max(vectors[1:] @ vectors[0]))


def message_post(*, conversation_id: int, text: str) -> Turn:
    """Record a shopper message and the assistant's answer (or hand over to a person).

    The text is redacted (support.redaction) before the intent model, the encoder or the
    generator sees it; the stored shopper message keeps the words as written (shown redacted
    to anyone but the shopper and the assigned agent). While a handoff is open the message
    is only recorded: the agent answers. Otherwise the answer is composed (answer_compose)
    and the handoff rules (support.answering.handoff_reason) are checked; a handoff creates
    a Handoff ticket with a suggested reply and sets the conversation to handed off.

    Side effects: inserts one or two Message rows and maybe a Handoff, in one transaction
    (the models run before it). Raises Conversation.DoesNotExist.
    """
    text = text.strip()
    conversation = Conversation.objects.select_related("customer").get(pk=conversation_id)
    if selectors.handoff_open_for(conversation_id=conversation.pk) is not None:
        return _turn_record(conversation=conversation, text=text, prediction=None, answer=None)
    redacted = redact_text(text)
    prediction = _understand(redacted)
    intent = prediction.intent if prediction else None
    earlier = selectors.shopper_messages_before(conversation_id=conversation.pk)
    previous = earlier[0] if earlier else None
    sentiment, sentiment_available = (None, False)
    if intent == answering.COMPLAINT_INTENT:
        sentiment, sentiment_available = _sentiment(redacted)
    signals = answering.TurnSignals(
        intent=intent,
        text=redacted,
        model_unsure=prediction is not None and prediction.intent is None,
        previous_model_unsure=(
            previous is not None
            and previous.confidence is not None
            and previous.predicted_intent_id is None
        ),
        sentiment=sentiment,
        sentiment_available=sentiment_available,
        max_similarity_to_earlier=_max_similarity(
            redacted, [redact_text(message.text) for message in earlier]
        ),
    )
    reason = answering.handoff_reason(signals, repeat_threshold=settings.SUPPORT_REPEAT_SIMILARITY)
    question, question_intent = redacted, intent
    if reason == Handoff.Reason.ASKED_FOR_HUMAN and previous is not None:
        # "Can I talk to a person?" is not the question the agent must answer: the suggested
        # reply answers the shopper's previous message.
        question = redact_text(previous.text)
        question_intent = previous.predicted_intent.key if previous.predicted_intent else None
    answer = answer_compose(customer=conversation.customer, text=question, intent=question_intent)
    return _turn_record(
        conversation=conversation,
        text=text,
        prediction=prediction,
        answer=answer,
        handoff_reason=reason,
        sentiment=sentiment or "",
    )


@transaction.atomic
def _turn_record(
    *,
    conversation: Conversation,
    text: str,
    prediction,
    answer: Answer | None,
    handoff_reason: str | None = None,
    sentiment: str = "",
) -> Turn:
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if answer is not None and selectors.handoff_open_for(conversation_id=conversation.pk):
        # Handed off while this message was being understood: the agent answers it.
        answer, handoff_reason = None, None
    intent = None
    if prediction is not None:
        intent = Intent.objects.filter(key=prediction.intent).first() if prediction.intent else None
    shopper = Message.objects.create(
        conversation=conversation,
        role=Message.Role.SHOPPER,
        text=text,
        predicted_intent=intent,
        confidence=prediction.confidence if prediction else None,
        model_version=prediction.version if prediction else None,
    )
    reply = handoff = None
    if answer is not None and handoff_reason is None:
        reply = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            text=answer.text,
            citations=answer.citations,
            answer_source=answer.source,
        )
    elif answer is not None:
        handoff = Handoff.objects.create(
            conversation=conversation,
            reason=handoff_reason,
            intent=intent,
            sentiment=sentiment,
            orders=answer.orders,
            suggested_reply=answer.text if answer.source not in ("unknown", "greeting") else "",
        )
        reply = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            text=answering.HANDOFF_NOTICE,
            answer_source="handoff",
        )
        conversation.status = Conversation.Status.HANDED_OFF
    if conversation.status == Conversation.Status.CLOSED:
        conversation.status = Conversation.Status.OPEN
    conversation.save(update_fields=["status", "updated_at"])
    return Turn(shopper_message=shopper, reply=reply, handoff=handoff)


@transaction.atomic
def message_rate(*, message_id: int, conversation_id: int, helpful: bool) -> Message:
    """Record whether an assistant or agent answer helped (rating again overwrites).

    Raises Message.DoesNotExist (not a message of that conversation) and NotAnAnswer (a
    shopper message)."""
    message = Message.objects.select_for_update().get(
        pk=message_id, conversation_id=conversation_id
    )
    if message.role == Message.Role.SHOPPER:
        raise NotAnAnswer("Only the assistant's and agents' answers can be rated.", field="message")
    message.helpful = helpful
    message.save(update_fields=["helpful"])
    return message


@transaction.atomic
def conversation_rate(*, conversation_id: int, rating: int) -> Conversation:
    """Record the shopper's 1-5 rating of the conversation (rating again overwrites).
    Raises ValueError outside 1-5 and Conversation.DoesNotExist."""
    if not 1 <= rating <= 5:
        raise ValueError("A rating is 1 to 5.")
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    conversation.rating = rating
    conversation.save(update_fields=["rating", "updated_at"])
    return conversation


# --- agents -------------------------------------------------------------------------------


def _handoff_locked(handoff_id: int) -> Handoff:
    handoff = Handoff.objects.select_for_update().filter(pk=handoff_id).first()
    if handoff is None:
        raise HandoffNotFound(f"No handoff {handoff_id}.")
    if handoff.status == Handoff.Status.RESOLVED:
        raise HandoffResolved(f"Handoff {handoff_id} is already resolved.")
    return handoff


@transaction.atomic
def handoff_take(*, handoff_id: int, agent) -> Handoff:
    """The agent takes the handed-off conversation: handoff taken (taken_at), conversation
    assigned to the agent. Taking it again is a no-op; another agent's raises
    HandoffTakenByOther; a resolved one HandoffResolved."""
    handoff = _handoff_locked(handoff_id)
    if handoff.agent_id == agent.pk:
        return handoff
    if handoff.agent_id is not None:
        raise HandoffTakenByOther(f"Handoff {handoff_id} is taken by another agent.")
    handoff.agent = agent
    handoff.status = Handoff.Status.TAKEN
    handoff.taken_at = timezone.now()
    handoff.save(update_fields=["agent", "status", "taken_at"])
    Conversation.objects.filter(pk=handoff.conversation_id).update(
        assigned_agent=agent, updated_at=timezone.now()
    )
    return handoff


@transaction.atomic
def agent_reply(*, handoff_id: int, agent, text: str) -> Message:
    """The agent's reply to the shopper (taking the handoff first if nobody has): an agent
    message in the conversation; the first one sets first_response_at. Raises ValueError for
    an empty text, and what handoff_take raises."""
    text = text.strip()
    if not text:
        raise ValueError("A reply needs some text.")
    handoff = handoff_take(handoff_id=handoff_id, agent=agent)
    message = Message.objects.create(
        conversation_id=handoff.conversation_id, role=Message.Role.AGENT, text=text, author=agent
    )
    if handoff.first_response_at is None:
        handoff.first_response_at = message.created_at
        handoff.save(update_fields=["first_response_at"])
    Conversation.objects.filter(pk=handoff.conversation_id).update(updated_at=timezone.now())
    return message


@transaction.atomic
def handoff_resolve(*, handoff_id: int, agent) -> Handoff:
    """Resolve the handoff (resolved_at) and close the conversation; the shopper's next
    message reopens it with the assistant. Raises what handoff_take raises."""
    handoff = handoff_take(handoff_id=handoff_id, agent=agent)
    handoff.status = Handoff.Status.RESOLVED
    handoff.resolved_at = timezone.now()
    handoff.save(update_fields=["status", "resolved_at"])
    Conversation.objects.filter(pk=handoff.conversation_id).update(
        status=Conversation.Status.CLOSED, updated_at=timezone.now()
    )
    return handoff
