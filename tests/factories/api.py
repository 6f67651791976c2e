"""Minimal factories and API clients for the REST API tests (tests/shop/api, tests/ml/api)."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ml.models import Job
from shop.models import Category, Customer, Order, OrderItem, Product, Review
from shop.services import api_key_issue

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"cust-{n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    user = factory.SubFactory(UserFactory)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    title = factory.Sequence(lambda n: f"Product {n:05d}")
    description = ""
    category = None
    price = Decimal("10.00")
    stock = 5
    is_active = True


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ORD-{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    status = Order.Status.PAID
    subtotal = Decimal("10.00")
    total = Decimal("10.00")
    placed_at = factory.LazyFunction(timezone.now)


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = Decimal("10.00")


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    product = factory.SubFactory(ProductFactory)
    customer = factory.SubFactory(CustomerFactory)
    rating = 4
    title = "Good"
    text = "Does what it says."
    created_at = factory.LazyFunction(timezone.now)


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    kind = "rating_aggregates"
    status = Job.Status.QUEUED


def grant(user, *permissions: str):
    """Give `user` the permissions named `app_label.codename`; returns the user."""
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def api_key_client(*scopes: str) -> APIClient:
    """A client that sends a fresh API key holding `scopes`."""
    _api_key, raw_key = api_key_issue(name="storefront", scopes=list(scopes), created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def token_client(user) -> APIClient:
    """A client that sends the user's DRF token."""
    token, _created = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def session_client(user) -> APIClient:
    """A client logged in through the session, like staff in the admin."""
    client = APIClient()
    client.force_login(user)
    return client
