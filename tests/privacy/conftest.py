"""A customer with something in every table that holds customer data, and a second customer
whose data must stay untouched."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from ml.models import ModelVersion
from recommendations.models import ListEvent, PersonalList
from shop.models import Customer, Event, Order, Product, Review
from support import services as support_services
from support.models import Conversation, Intent, Message
from tests.factories.api import (
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    ReviewFactory,
)
from tests.factories.marketing import AdEventFactory

SESSION = "sess-erase-me"
SHOPPER_TEXT = "Where is my parcel? It was due last week"


@dataclass
class Shopper:
    customer: Customer
    other: Customer
    products: list[Product]
    order: Order
    review: Review
    other_review: Review
    conversation: Conversation
    message: Message


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def version(task: str, number: int, *, days_ago: int) -> ModelVersion:
    made = ModelVersion.objects.create(
        task=task,
        version=number,
        base_model="tiny",
        artifact_path=f"{task}/v{number}",
        sha256="0" * 64,
    )
    ModelVersion.objects.filter(pk=made.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return made


@pytest.fixture
def shopper(db) -> Shopper:
    now = timezone.now()
    customer = CustomerFactory(
        name="Ada Lovelace", email="ada.lovelace@example.org", country="United Kingdom"
    )
    other = CustomerFactory(name="Grace Hopper", email="grace.hopper@example.org")
    products = [ProductFactory() for _ in range(3)]
    order = OrderFactory(customer=customer, placed_at=now - timedelta(days=20))
    OrderItemFactory(order=order, product=products[0])
    other_order = OrderFactory(customer=other, placed_at=now - timedelta(days=20))
    OrderItemFactory(order=other_order, product=products[0])
    OrderItemFactory(order=other_order, product=products[1])
    review = ReviewFactory(
        product=products[0],
        customer=customer,
        title="Lovely",
        text="Ada here: the scarf is warm and soft.",
        created_at=now - timedelta(days=30),
    )
    other_review = ReviewFactory(
        product=products[1], customer=other, text="Grace's review: too small."
    )
    Event.objects.create(
        kind=Event.Kind.VIEW,
        customer=customer,
        session_id=SESSION,
        product=products[1],
        occurred_at=now - timedelta(days=25),
    )
    # Browsing before logging in: the same storefront session, no customer yet.
    Event.objects.create(
        kind=Event.Kind.VIEW,
        session_id=SESSION,
        product=products[2],
        occurred_at=now - timedelta(days=26),
    )
    Event.objects.create(
        kind=Event.Kind.VIEW,
        customer=other,
        session_id="sess-other",
        product=products[2],
        occurred_at=now - timedelta(days=25),
    )
    conversation = Conversation.objects.create(customer=customer, session_id=SESSION)
    message = Message.objects.create(
        conversation=conversation, role=Message.Role.SHOPPER, text=SHOPPER_TEXT
    )
    Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, text="Let me check, Ada."
    )
    support_services.message_intent_correct(
        message_id=message.pk, intent=Intent.objects.order_by("key").first()
    )
    AdEventFactory(customer=customer, session_id=SESSION)
    ListEvent.objects.create(
        kind=ListEvent.Kind.CLICK,
        list_type="for_you",
        position=1,
        product=products[0],
        customer=customer,
        session_id=SESSION,
        occurred_at=now - timedelta(days=24),
    )
    recs = version("recommendations", 1, days_ago=1)
    PersonalList.objects.create(
        customer=customer, model_version=recs, items=[{"product": products[0].pk}], computed_at=now
    )
    return Shopper(
        customer=customer,
        other=other,
        products=products,
        order=order,
        review=review,
        other_review=other_review,
        conversation=conversation,
        message=message,
    )
