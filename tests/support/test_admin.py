"""Support admin: correcting a message's intent (which adds a training example), intent
examples by intent and source, the "Train the intent model" link, and group permissions."""

import pytest
from django.contrib.auth.models import Group

from support.models import Conversation, Intent, IntentExample, Message
from tests.factories.api import StaffFactory

pytestmark = pytest.mark.django_db


def staff(group: str | None = None, **fields):
    user = StaffFactory(**fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def conversation() -> Conversation:
    conversation = Conversation.objects.create(session_id="s-42")
    Message.objects.create(
        conversation=conversation,
        role=Message.Role.SHOPPER,
        text="the zip on my jacket broke after one day",
        predicted_intent=Intent.objects.get(key="product_question"),
        confidence=0.41,
    )
    Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, text="Sorry to hear that."
    )
    return conversation


def change_form(conversation: Conversation, corrections: dict[int, str]) -> dict[str, str]:
    """The POST of the conversation's change page with `corrections` (message index: key)."""
    messages = list(conversation.messages.order_by("created_at", "pk"))
    data = {
        "status": conversation.status,
        "assigned_agent": "",
        "messages-TOTAL_FORMS": str(len(messages)),
        "messages-INITIAL_FORMS": str(len(messages)),
        "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "1000",
    }
    for index, message in enumerate(messages):
        key = corrections.get(index)
        data[f"messages-{index}-id"] = str(message.pk)
        data[f"messages-{index}-conversation"] = str(conversation.pk)
        data[f"messages-{index}-corrected_intent"] = (
            str(Intent.objects.get(key=key).pk) if key else ""
        )
    return data


def url(conversation: Conversation) -> str:
    return f"/admin/support/conversation/{conversation.pk}/change/"


def test_an_agent_corrects_a_predicted_intent_and_it_becomes_a_training_example(
    client, conversation
):
    agent = staff("Support agents")
    client.force_login(agent)

    response = client.post(url(conversation), change_form(conversation, {0: "complaint"}))

    assert response.status_code == 302, response.content.decode()[:2000]
    message = conversation.messages.get(role=Message.Role.SHOPPER)
    assert message.corrected_intent.key == "complaint"
    example = IntentExample.objects.get(source=IntentExample.Source.CORRECTION)
    assert (example.text, example.intent.key, example.created_by) == (
        message.text,
        "complaint",
        agent,
    )


def test_the_conversation_page_shows_the_prediction_and_its_confidence(client, conversation):
    client.force_login(staff("Support agents"))

    page = client.get(url(conversation)).content.decode()

    assert "the zip on my jacket broke after one day" in page
    assert "41%" in page
    assert "Product question" in page


def test_an_assistant_message_cannot_be_given_an_intent(client, conversation):
    client.force_login(staff(is_superuser=True))

    response = client.post(url(conversation), change_form(conversation, {1: "complaint"}))

    assert response.status_code == 200
    assert "Only shopper messages have an intent to correct." in response.content.decode()
    assert not IntentExample.objects.filter(source=IntentExample.Source.CORRECTION).exists()


def test_saving_without_changes_adds_no_example(client, conversation):
    client.force_login(staff(is_superuser=True))

    response = client.post(url(conversation), change_form(conversation, {}))

    assert response.status_code == 302
    assert not IntentExample.objects.filter(source=IntentExample.Source.CORRECTION).exists()


def test_examples_filter_by_intent_and_source(client):
    client.force_login(staff(is_superuser=True))
    refund = Intent.objects.get(key="refund")

    response = client.get(
        "/admin/support/intentexample/", {"intent__id__exact": refund.pk, "source": "seed"}
    )

    assert response.status_code == 200
    assert response.context["cl"].result_count == refund.examples.count()


def test_an_example_added_in_the_admin_is_a_staff_example(client):
    user = staff(is_superuser=True)
    client.force_login(user)
    account = Intent.objects.get(key="account")

    response = client.post(
        "/admin/support/intentexample/add/",
        {"text": "  my 2FA codes stopped coming  ", "intent": account.pk},
    )

    assert response.status_code == 302
    example = IntentExample.objects.get(text="my 2FA codes stopped coming")
    assert (example.source, example.created_by, example.intent) == ("staff", user, account)


def test_the_train_link_opens_the_start_job_page_prefilled_for_intents(client):
    client.force_login(staff("Data scientists"))

    page = client.get("/admin/support/intentexample/").content.decode()
    start = client.get(
        "/admin/ml/job/add/?kind=finetune_classifier&task=intent&dataset=support_intents"
    )

    assert (
        'href="/admin/ml/job/add/?kind=finetune_classifier&amp;task=intent&amp;'
        'dataset=support_intents"'
    ) in page
    assert start.status_code == 200
    assert 'value="intent"' in start.content.decode()


def test_support_agents_see_no_train_link(client):
    client.force_login(staff("Support agents"))

    page = client.get("/admin/support/intentexample/").content.decode()

    assert "Train the intent model" not in page


@pytest.mark.parametrize(
    ("group", "allowed", "denied"),
    [
        (
            "Support agents",
            {"view_conversation", "change_conversation", "view_message", "change_message",
             "add_intentexample", "view_intentexample", "view_intent"},
            {"delete_intentexample", "change_intent", "add_conversation", "delete_message"},
        ),
        (
            "Data scientists",
            {"add_intent", "change_intent", "delete_intent", "view_intent", "add_intentexample",
             "change_intentexample", "delete_intentexample", "view_intentexample"},
            {"change_conversation", "change_message"},
        ),
        (
            "Store staff",
            {"view_intent", "view_intentexample", "view_conversation", "view_message"},
            {"add_intentexample", "change_message", "change_intent"},
        ),
    ],
)  # fmt: skip
def test_staff_groups_get_their_support_permissions(group, allowed, denied):
    user = staff(group)

    assert all(user.has_perm(f"support.{codename}") for codename in allowed)
    assert not any(user.has_perm(f"support.{codename}") for codename in denied)


def test_store_staff_can_read_conversations_but_not_correct_them(client, conversation):
    client.force_login(staff("Store staff"))

    page = client.get(url(conversation))
    response = client.post(url(conversation), change_form(conversation, {0: "complaint"}))

    assert page.status_code == 200
    assert response.status_code == 403
    assert not IntentExample.objects.filter(source=IntentExample.Source.CORRECTION).exists()
