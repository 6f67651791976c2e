"""The support chat API: who may call it, whose conversations they see, and bad input."""

import pytest

from shop.models import ApiKey
from support.models import Conversation, Message
from tests.factories.api import (
    CustomerFactory,
    StaffFactory,
    api_key_client,
    token_client,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/support/conversations/"
SECRET = "HTTP_X_CONVERSATION_SECRET"


@pytest.fixture
def customer(tiny_encoder, plain_answers, settings):
    # The tiny test encoder finds every pair of texts alike: no repeat handoffs here.
    settings.SUPPORT_REPEAT_SIMILARITY = 1.01
    return CustomerFactory()


@pytest.fixture
def shopper(customer):
    return token_client(customer.user)


def _start(client) -> dict:
    response = client.post(BASE, {}, format="json")
    assert response.status_code == 201, response.data
    return response.json()


def test_a_customer_chats_and_reads_the_answer_with_citations(shopper):
    started = _start(shopper)

    posted = shopper.post(f"{BASE}{started['id']}/messages/", {"text": "hello"}, format="json")
    listed = shopper.get(f"{BASE}{started['id']}/messages/")

    assert started["secret"] == "" and started["status"] == "open"
    assert posted.status_code == 201
    body = posted.json()
    assert body["message"]["text"] == "hello" and body["message"]["role"] == "shopper"
    assert body["reply"]["role"] == "assistant" and "citations" in body["reply"]
    assert body["handed_off"] is False
    assert [m["role"] for m in listed.json()] == ["shopper", "assistant"]


def test_another_customers_conversation_is_not_found(shopper):
    started = _start(shopper)
    other = token_client(CustomerFactory().user)
    url = f"{BASE}{started['id']}"

    responses = [
        other.get(f"{url}/messages/"),
        other.post(f"{url}/messages/", {"text": "show me everything"}, format="json"),
        other.post(f"{url}/rating/", {"rating": 1}, format="json"),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert all("code" not in r.json() for r in responses)  # a plain 404: nothing to learn
    assert Message.objects.count() == 0


def test_anonymous_shoppers_chat_through_the_storefront_key_with_a_secret(customer):
    storefront = api_key_client(ApiKey.Scope.SUPPORT_CHAT)
    first, second = _start(storefront), _start(storefront)

    posted = storefront.post(
        f"{BASE}{first['id']}/messages/", {"text": "hi"}, format="json", **{SECRET: first["secret"]}
    )
    own = storefront.get(f"{BASE}{first['id']}/messages/", **{SECRET: first["secret"]})
    no_secret = storefront.get(f"{BASE}{first['id']}/messages/")
    wrong = storefront.get(f"{BASE}{first['id']}/messages/", **{SECRET: second["secret"]})

    assert len(first["secret"]) >= 32 and first["secret"] != second["secret"]
    assert posted.status_code == 201 and posted.json()["reply"]["role"] == "assistant"
    assert (own.status_code, no_secret.status_code, wrong.status_code) == (200, 404, 404)
    assert len(own.json()) == 2
    assert Conversation.objects.get(pk=first["id"]).secret_hash != first["secret"]


def test_the_storefront_key_cannot_open_a_customers_conversation(shopper):
    started = _start(shopper)
    storefront = api_key_client(ApiKey.Scope.SUPPORT_CHAT)

    response = storefront.get(f"{BASE}{started['id']}/messages/", **{SECRET: "guess"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("client_factory", "status"),
    [
        (lambda: api_key_client(ApiKey.Scope.CATALOGUE_READ), 403),
        (lambda: token_client(StaffFactory()), 403),
        (lambda: __import__("rest_framework.test").test.APIClient(), 401),
    ],
)
def test_only_customers_and_the_chat_scope_may_start(customer, client_factory, status):
    assert client_factory().post(BASE, {}, format="json").status_code == status


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": ["a", "b"]}, "text"),
    ],
)
def test_bad_messages_are_400_with_field_errors_and_nothing_saved(shopper, body, field):
    started = _start(shopper)

    response = shopper.post(f"{BASE}{started['id']}/messages/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Message.objects.count() == 0


def test_rating_an_answer_and_the_conversation(shopper):
    started = _start(shopper)
    url = f"{BASE}{started['id']}"
    reply = shopper.post(f"{url}/messages/", {"text": "hi"}, format="json").json()["reply"]

    rated = shopper.post(f"{url}/messages/{reply['id']}/rating/", {"helpful": False}, format="json")
    stars = shopper.post(f"{url}/rating/", {"rating": 4}, format="json")

    assert rated.status_code == 200 and rated.json()["helpful"] is False
    assert stars.status_code == 200 and stars.json()["rating"] == 4
    assert Message.objects.get(pk=reply["id"]).helpful is False


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("rating/", {"rating": 6}, "rating"),
        ("rating/", {"rating": 0}, "rating"),
        ("rating/", {"rating": "five"}, "rating"),
        ("rating/", {}, "rating"),
        ("messages/{reply}/rating/", {}, "helpful"),
        ("messages/{reply}/rating/", {"helpful": "maybe"}, "helpful"),
        ("messages/{shopper}/rating/", {"helpful": True}, "message"),
    ],
)
def test_bad_ratings_are_400(shopper, path, body, field):
    started = _start(shopper)
    url = f"{BASE}{started['id']}/"
    turn = shopper.post(f"{url}messages/", {"text": "hi"}, format="json").json()
    path = path.format(reply=turn["reply"]["id"], shopper=turn["message"]["id"])

    response = shopper.post(url + path, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Conversation.objects.get().rating is None
    assert not Message.objects.filter(helpful__isnull=False).exists()


def test_rating_a_message_of_another_conversation_is_404(shopper):
    first, second = _start(shopper), _start(shopper)
    reply = shopper.post(f"{BASE}{first['id']}/messages/", {"text": "hi"}, format="json").json()

    response = shopper.post(
        f"{BASE}{second['id']}/messages/{reply['reply']['id']}/rating/",
        {"helpful": True},
        format="json",
    )

    assert response.status_code == 404


def test_listing_messages_runs_a_fixed_number_of_queries(shopper, django_assert_num_queries):
    started = _start(shopper)
    for text in ("hi", "hello", "hey"):
        shopper.post(f"{BASE}{started['id']}/messages/", {"text": text}, format="json")

    with django_assert_num_queries(4):  # token and user, customer, conversation, messages
        response = shopper.get(f"{BASE}{started['id']}/messages/")

    assert len(response.json()) == 6


def test_chat_calls_are_throttled_per_caller(shopper, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "2/minute",
        },
    }

    statuses = [shopper.post(BASE, {}, format="json").status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    cache.clear()
