"""The `support_intents` dataset: seed and staff examples, with staff corrections winning."""

import pytest

from ml import datasets
from ml.exceptions import BadJobInput
from support import services
from support.models import Conversation, Intent, IntentExample, Message
from support.selectors import intent_training_examples
from support.tasks import support_intents
from tests.factories.api import StaffFactory

pytestmark = pytest.mark.django_db


def intent(key: str) -> Intent:
    return Intent.objects.get(key=key)


def shopper_message(text: str, *, predicted: str | None = None) -> Message:
    conversation = Conversation.objects.create(session_id="s-1")
    return Message.objects.create(
        conversation=conversation,
        role=Message.Role.SHOPPER,
        text=text,
        predicted_intent=intent(predicted) if predicted else None,
        confidence=0.4 if predicted else None,
    )


def label_of(text: str) -> list[str]:
    examples = intent_training_examples(limit=10_000)
    return [label for t, label in zip(examples.texts, examples.labels, strict=True) if t == text]


def test_the_seed_set_is_the_training_data_of_a_fresh_store():
    examples = intent_training_examples(limit=10_000)

    assert len(examples.texts) == IntentExample.objects.count()
    assert examples.by_source == {"seed": IntentExample.objects.count()}
    assert label_of("Where is my order?") == ["order_status"]


def test_a_corrected_message_wins_over_the_seed_label_of_the_same_text():
    message = shopper_message("Where is my order?", predicted="order_status")

    services.message_intent_correct(message_id=message.pk, intent=intent("complaint"))

    assert label_of("Where is my order?") == ["complaint"]


def test_a_message_correction_wins_over_a_staff_example_added_later():
    message = shopper_message("my parcel is soaked", predicted="order_status")
    services.message_intent_correct(message_id=message.pk, intent=intent("complaint"))
    IntentExample.objects.create(
        text="my parcel is soaked", intent=intent("order_status"), source="staff"
    )

    assert label_of("my parcel is soaked") == ["complaint"]


def test_a_staff_example_wins_over_the_seed_label_of_the_same_text():
    services.intent_example_add(
        text="  Where is my order?  ", intent=intent("delivery_time"), user=StaffFactory()
    )

    assert label_of("Where is my order?") == ["delivery_time"]


def test_predictions_that_nobody_corrected_are_not_labels():
    shopper_message("can i pay with bitcoin", predicted="payment_problem")

    assert label_of("can i pay with bitcoin") == []


def test_a_row_limit_keeps_the_corrections_first():
    message = shopper_message("is the gown lined", predicted="size_advice")
    services.message_intent_correct(message_id=message.pk, intent=intent("product_question"))

    examples = intent_training_examples(limit=30)

    assert len(examples.texts) == 30
    assert (examples.texts[0], examples.labels[0], examples.corrected) == (
        "is the gown lined",
        "product_question",
        1,
    )


def test_the_dataset_is_offered_to_the_finetune_job_and_checks_its_rows():
    assert "support_intents" in dict(datasets.classification_dataset_choices())
    data = support_intents(max_rows=10_000)
    assert data.summary["rows"] == IntentExample.objects.count()
    assert len(data.summary["label_counts"]) == 12

    IntentExample.objects.all().delete()
    with pytest.raises(BadJobInput, match="Only 0 labelled rows"):
        support_intents(max_rows=100)


def test_only_shopper_messages_can_be_corrected():
    from support.exceptions import NotAShopperMessage

    message = shopper_message("hello")
    Message.objects.filter(pk=message.pk).update(role=Message.Role.ASSISTANT)

    with pytest.raises(NotAShopperMessage):
        services.message_intent_correct(message_id=message.pk, intent=intent("greeting_other"))
    assert not IntentExample.objects.filter(source="correction").exists()
