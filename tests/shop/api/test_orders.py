from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories.api import (
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    token_client,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def numbers(response) -> list[str]:
    return [order["number"] for order in response.json()["results"]]


def test_customer_lists_only_their_own_orders_newest_first(customer, customer_client):
    OrderFactory(number="MINE-OLD", customer=customer, placed_at=timezone.now() - timedelta(1))
    OrderFactory(number="MINE-NEW", customer=customer)
    OrderFactory(number="THEIRS", customer=CustomerFactory())

    response = customer_client.get(URL)

    assert response.status_code == 200
    assert numbers(response) == ["MINE-NEW", "MINE-OLD"]


def test_order_is_listed_with_its_totals_and_item_count(customer, customer_client):
    order = OrderFactory(
        number="A-1", customer=customer, subtotal=Decimal("30.00"), total=Decimal("33.50")
    )
    OrderItemFactory(order=order)
    OrderItemFactory(order=order)

    response = customer_client.get(URL)

    assert response.json()["results"] == [
        {
            "id": order.pk,
            "number": "A-1",
            "customer": customer.pk,
            "status": "paid",
            "currency": "GBP",
            "subtotal": "30.00",
            "total": "33.50",
            "placed_at": order.placed_at.isoformat().replace("+00:00", "Z"),
            "item_count": 2,
        }
    ]


def test_staff_list_every_customers_orders(staff_client):
    OrderFactory(number="A", customer=CustomerFactory())
    OrderFactory(number="B", customer=CustomerFactory())
    OrderFactory(number="GUEST", customer=None)

    response = staff_client.get(URL)

    assert sorted(numbers(response)) == ["A", "B", "GUEST"]


def test_customer_gets_their_order_with_its_items(customer, customer_client):
    order = OrderFactory(customer=customer)
    product = ProductFactory(sku="MUG", title="Mug")
    item = OrderItemFactory(order=order, product=product, quantity=3, unit_price=Decimal("4.50"))

    response = customer_client.get(f"{URL}{order.pk}/")

    assert response.status_code == 200
    assert response.json()["items"] == [
        {
            "id": item.pk,
            "product": {"id": product.pk, "sku": "MUG", "title": "Mug"},
            "quantity": 3,
            "unit_price": "4.50",
            "line_total": "13.50",
        }
    ]


def test_customer_cannot_see_another_customers_order(customer_client):
    # Given an order of customer B
    theirs = OrderFactory(customer=CustomerFactory())

    # When customer A asks for it
    response = customer_client.get(f"{URL}{theirs.pk}/")

    # Then it does not exist for them
    assert response.status_code == 404


def test_customer_cannot_see_a_guest_order(customer_client):
    guest_order = OrderFactory(customer=None)

    response = customer_client.get(f"{URL}{guest_order.pk}/")

    assert response.status_code == 404


def test_staff_get_any_customers_order(staff_client):
    order = OrderFactory(customer=CustomerFactory())

    response = staff_client.get(f"{URL}{order.pk}/")

    assert response.status_code == 200
    assert response.json()["id"] == order.pk


def test_anonymous_caller_cannot_list_orders(anonymous_client):
    response = anonymous_client.get(URL)

    assert response.status_code == 401


def test_anonymous_caller_cannot_get_an_order(anonymous_client):
    order = OrderFactory()

    response = anonymous_client.get(f"{URL}{order.pk}/")

    assert response.status_code == 401


def test_storefront_key_cannot_list_orders(catalogue_client):
    response = catalogue_client.get(URL)

    assert response.status_code == 403


def test_storefront_key_cannot_get_an_order(catalogue_client):
    order = OrderFactory()

    response = catalogue_client.get(f"{URL}{order.pk}/")

    assert response.status_code == 403


def test_user_who_is_not_a_customer_cannot_list_orders(plain_user_client):
    response = plain_user_client.get(URL)

    assert response.status_code == 403


@pytest.mark.parametrize("rows", [1, 10])
def test_list_runs_a_fixed_number_of_queries(django_assert_num_queries, rows):
    customer = CustomerFactory()
    for _ in range(rows):
        OrderItemFactory(order=OrderFactory(customer=customer))
    client = token_client(customer.user)

    # The token with its user, the user's customer, the count and the page.
    with django_assert_num_queries(4):
        response = client.get(URL)

    assert len(response.json()["results"]) == rows
