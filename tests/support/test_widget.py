"""The chat widget page: a signed-in customer chats through the session (CSRF-protected),
sees citations, the handoff notice and agent replies; other conversations are 404."""

import pytest
from django.test import Client
from django.urls import reverse

from support import services
from support.models import Article, Conversation, Handoff, Message
from tests.factories.api import PASSWORD, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(tiny_encoder, plain_answers, settings):
    settings.SUPPORT_REPEAT_SIMILARITY = 1.01  # the tiny encoder finds all texts alike
    return CustomerFactory()


@pytest.fixture
def browser(customer) -> Client:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("support:login"),
        {"username": customer.user.username, "password": PASSWORD},
    )
    assert response.status_code == 403  # no CSRF token: refused
    client.get(reverse("support:login"))
    response = client.post(
        reverse("support:login"),
        {
            "username": customer.user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302
    return client


def _csrf(client: Client) -> dict:
    return {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(reverse("support:chat"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("support:login"))


def test_a_customer_chats_and_sees_the_sources(browser, customer):
    Article.objects.create(title="Care", topic="care", body="Wash wool by hand in cold water.")
    services.knowledge_index_rebuild()
    page = browser.get(reverse("support:chat"))
    conversation = Conversation.objects.get(customer=customer)
    send = reverse("support:chat-send", args=[conversation.pk])

    refused = browser.post(send, {"text": "hi"})  # no CSRF token
    sent = browser.post(send, {"text": "Care: Wash wool by hand in cold water.", **_csrf(browser)})

    assert page.status_code == 200 and b"htmx" in page.content
    assert refused.status_code == 403
    assert sent.status_code == 200
    assert b"Wash wool by hand in cold water." in sent.content
    assert b'aria-label="Sources"' in sent.content and b"<li>Care</li>" in sent.content


def test_the_handoff_notice_and_the_agents_reply_show(browser, customer):
    browser.get(reverse("support:chat"))
    conversation = Conversation.objects.get(customer=customer)
    browser.post(
        reverse("support:chat-send", args=[conversation.pk]),
        {"text": "I want a human", **_csrf(browser)},
    )
    services.agent_reply(
        handoff_id=Handoff.objects.get().pk, agent=StaffFactory(), text="Hello, Sam here."
    )

    polled = browser.get(reverse("support:chat-messages", args=[conversation.pk]))

    assert b"A member of our support team has this conversation" in polled.content
    assert b"Support team" in polled.content and b"Hello, Sam here." in polled.content


def test_rating_from_the_widget(browser, customer):
    browser.get(reverse("support:chat"))
    conversation = Conversation.objects.get(customer=customer)
    browser.post(
        reverse("support:chat-send", args=[conversation.pk]), {"text": "hi", **_csrf(browser)}
    )
    answer = conversation.messages.get(role=Message.Role.ASSISTANT)

    browser.post(
        reverse("support:chat-rate-message", args=[conversation.pk, answer.pk]),
        {"helpful": "yes", **_csrf(browser)},
    )
    bad = browser.post(reverse("support:chat-rate", args=[conversation.pk]),
                       {"rating": "9", **_csrf(browser)})  # fmt: skip
    good = browser.post(reverse("support:chat-rate", args=[conversation.pk]),
                        {"rating": "4", **_csrf(browser)})  # fmt: skip

    answer.refresh_from_db()
    conversation.refresh_from_db()
    assert answer.helpful is True
    assert bad.status_code == 400 and good.status_code == 200
    assert conversation.rating == 4


def test_an_empty_message_is_400_and_nothing_saved(browser, customer):
    browser.get(reverse("support:chat"))
    conversation = Conversation.objects.get(customer=customer)

    response = browser.post(
        reverse("support:chat-send", args=[conversation.pk]), {"text": "  ", **_csrf(browser)}
    )

    assert response.status_code == 400
    assert not Message.objects.exists()


def test_another_customers_conversation_is_404(browser):
    theirs, _ = services.conversation_start(customer=CustomerFactory())

    assert browser.get(reverse("support:chat-messages", args=[theirs.pk])).status_code == 404
    response = browser.post(
        reverse("support:chat-send", args=[theirs.pk]), {"text": "hi", **_csrf(browser)}
    )
    assert response.status_code == 404
    assert not Message.objects.exists()
