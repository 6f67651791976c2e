"""Factories of the store's models (shop app)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify

from shop.models import Category, Customer, Event, Order, OrderItem, Product, Review


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda category: slugify(category.name))
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    title = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("20.00")
    stock = 10


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C-{n:05d}")
    email = factory.LazyAttribute(lambda customer: f"{customer.external_id.lower()}@example.com")
    name = factory.Faker("name")
    country = "United Kingdom"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ORDER-{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    status = Order.Status.PAID
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = factory.LazyAttribute(lambda item: item.product.price)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    product = factory.SubFactory(ProductFactory)
    customer = None
    external_id = factory.Sequence(lambda n: f"R-{n:05d}")
    rating = 4
    title = "Nice"
    text = "Fits well."
    created_at = factory.LazyFunction(timezone.now)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    kind = Event.Kind.VIEW
    customer = factory.SubFactory(CustomerFactory)
    session_id = factory.Sequence(lambda n: f"s-{n}")
    product = factory.SubFactory(ProductFactory)
    occurred_at = factory.LazyFunction(timezone.now)
