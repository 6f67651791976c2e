"""Writes of support: the seed set, staff examples and intent corrections, intent training."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ml import services as ml_services
from ml.models import Job
from support.exceptions import NotAShopperMessage
from support.models import Intent, IntentExample, Message
from support.seed import seed_load
from support.selectors import INTENT_TASK, TRAINING_DATASET

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
    text_column: str = "text",
    label_column: str = "intent",
    **hyper: Any,
) -> dict[str, Any]:
    """`finetune_classifier` parameters that train an intent version: on a CSV file, else on
    the store's examples (the support_intents dataset). `hyper` adds epochs, max_rows, ..."""
    data: dict[str, Any] = {"task": INTENT_TASK, "dataset": TRAINING_DATASET}
    if csv_path:
        data = {
            "task": INTENT_TASK,
            "dataset": "csv_file",
            "path": str(csv_path),
            "text_column": text_column,
            "label_column": label_column,
        }
    return {**data, **{k: v for k, v in hyper.items() if v is not None}}


def intent_train_in_process(*, params: dict[str, Any], user=None) -> Job:
    """Run the `finetune_classifier` job with `params` here and now (see intent_train_params).

    Side effects: a Job row and, on success, a ModelVersion of task "intent" (promoted to
    champion when params["promote"] and it beats the champion). Returns the finished job;
    bad parameters raise DRF ValidationError.
    """
    return ml_services.job_run_in_process(kind=FINETUNE_KIND, params=params, created_by=user)
