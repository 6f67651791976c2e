"""Handoff rules, and the ticket a handoff creates."""

import json
import shutil

import pytest

from support import answering, services
from support.answering import TurnSignals, handoff_reason
from support.models import Conversation, Handoff, Message
from tests.factories.api import CustomerFactory, OrderFactory
from tests.support.conftest import register_intent_version

pytestmark = pytest.mark.django_db
REPEAT = 0.9


@pytest.mark.parametrize(
    ("signals", "reason"),
    [
        (TurnSignals(intent="talk_to_human", text="hmm"), "asked_for_human"),
        (TurnSignals(intent=None, text="Can I talk to a real person?"), "asked_for_human"),
        (TurnSignals(intent="order_status", text="I want an agent now"), "asked_for_human"),
        (
            TurnSignals(intent="complaint", text="awful", sentiment="negative",
                        sentiment_available=True),
            "negative_complaint",
        ),
        (TurnSignals(intent="complaint", text="awful"), "negative_complaint"),  # no champion
        (TurnSignals(intent=None, text="x", model_unsure=True, previous_model_unsure=True),
         "low_confidence"),
        (TurnSignals(intent="refund", text="x", max_similarity_to_earlier=0.95),
         "repeated_question"),
    ],
)  # fmt: skip
def test_handoff_rules(signals, reason):
    assert handoff_reason(signals, repeat_threshold=REPEAT) == reason


@pytest.mark.parametrize(
    "signals",
    [
        TurnSignals(intent="complaint", text="meh", sentiment="neutral", sentiment_available=True),
        TurnSignals(intent=None, text="x", model_unsure=True, previous_model_unsure=False),
        TurnSignals(intent="refund", text="x", max_similarity_to_earlier=0.89),
        TurnSignals(intent="order_status", text="Where is my parcel?"),
    ],
)
def test_no_handoff_otherwise(signals):
    assert handoff_reason(signals, repeat_threshold=REPEAT) is None


@pytest.fixture
def chat(tiny_encoder, plain_answers):
    customer = CustomerFactory()
    conversation, _ = services.conversation_start(customer=customer)
    return conversation


def test_asking_for_a_person_creates_a_ticket_with_the_context(chat):
    order = OrderFactory(customer=chat.customer, number="ORDER-000555")
    services.message_post(conversation_id=chat.pk, text="Where is ORDER-000555?")

    turn = services.message_post(conversation_id=chat.pk, text="let me talk to a human please")

    handoff = turn.handoff
    assert handoff.reason == Handoff.Reason.ASKED_FOR_HUMAN
    assert handoff.orders == [order.number]  # from the question the agent must answer
    assert handoff.suggested_reply.startswith("Order ORDER-000555, placed on")
    assert turn.reply.text == answering.HANDOFF_NOTICE
    chat.refresh_from_db()
    assert chat.status == Conversation.Status.HANDED_OFF
    assert [m.role for m in chat.messages.all()] == ["shopper", "assistant", "shopper", "assistant"]


def test_the_same_question_twice_hands_over(chat):
    services.message_post(conversation_id=chat.pk, text="Why is my refund not here yet?")

    turn = services.message_post(conversation_id=chat.pk, text="why is my refund not here yet")

    assert turn.handoff.reason == Handoff.Reason.REPEATED_QUESTION


@pytest.mark.slow
def test_a_different_question_does_not_hand_over(chat, settings):
    # The tiny test encoder finds every pair of texts alike; the packaged one does not.
    settings.ML_ENCODER = "default"
    services.message_post(conversation_id=chat.pk, text="Why is my refund not here yet?")

    turn = services.message_post(conversation_id=chat.pk, text="Do you sell linen trousers?")

    assert turn.handoff is None


def test_unsure_twice_in_a_row_hands_over(chat, trained_intent_dir, tmp_path):
    # The tiny trained model, with a reject threshold no prediction can reach.
    unsure_dir = tmp_path / "unsure"
    shutil.copytree(trained_intent_dir, unsure_dir)
    (unsure_dir / "reject_threshold.json").write_text(json.dumps({"threshold": 1.01}))
    register_intent_version(unsure_dir)

    first = services.message_post(conversation_id=chat.pk, text="blorp fizzle")
    second = services.message_post(conversation_id=chat.pk, text="quantum gardening tips")

    assert first.handoff is None
    assert first.shopper_message.confidence is not None
    assert first.shopper_message.predicted_intent is None
    assert second.handoff.reason == Handoff.Reason.LOW_CONFIDENCE


def test_while_handed_off_messages_wait_for_the_agent(chat):
    services.message_post(conversation_id=chat.pk, text="I need a real person")

    turn = services.message_post(conversation_id=chat.pk, text="hello? anyone?")

    assert turn.reply is None and turn.handoff is None
    assert Handoff.objects.count() == 1
    assert chat.messages.filter(role=Message.Role.SHOPPER).count() == 2
