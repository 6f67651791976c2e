from decimal import Decimal

import pytest

from shop.models import ApiKey
from tests.factories.api import (
    CategoryFactory,
    ProductFactory,
    api_key_client,
    session_client,
    token_client,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"


def skus(response) -> list[str]:
    return [product["sku"] for product in response.json()["results"]]


# --- Who may call -------------------------------------------------------------------------


def test_anonymous_caller_cannot_list_products(anonymous_client):
    response = anonymous_client.get(URL)

    assert response.status_code == 401


def test_key_without_catalogue_scope_cannot_list_products():
    client = api_key_client(ApiKey.Scope.EVENTS_WRITE, ApiKey.Scope.REVIEWS_READ)

    response = client.get(URL)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Requires a staff user or an API key with the catalogue:read scope."
    }


def test_customer_token_cannot_list_products(customer_client):
    response = customer_client.get(URL)

    assert response.status_code == 403


def test_staff_token_lists_products(staff_user):
    ProductFactory()

    response = token_client(staff_user).get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_anonymous_caller_cannot_get_a_product(anonymous_client):
    product = ProductFactory()

    response = anonymous_client.get(f"{URL}{product.pk}/")

    assert response.status_code == 401


def test_key_without_catalogue_scope_cannot_get_a_product():
    product = ProductFactory()

    response = api_key_client(ApiKey.Scope.EVENTS_WRITE).get(f"{URL}{product.pk}/")

    assert response.status_code == 403


# --- Listing --------------------------------------------------------------------------------


def test_product_is_rendered_with_its_category(catalogue_client):
    category = CategoryFactory(name="Audio", slug="audio")
    product = ProductFactory(
        sku="HP-1",
        title="Headphones",
        description="Closed-back",
        category=category,
        price=Decimal("59.90"),
        stock=3,
        attributes={"colour": "black"},
    )

    response = catalogue_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "id": product.pk,
        "sku": "HP-1",
        "title": "Headphones",
        "description": "Closed-back",
        "category": {"id": category.pk, "name": "Audio", "slug": "audio"},
        "price": "59.90",
        "currency": "GBP",
        "stock": 3,
        "in_stock": True,
        "attributes": {"colour": "black"},
        "is_active": True,
        "review_count": 0,
        "rating_average": None,
        "created_at": product.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": product.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_storefront_does_not_see_inactive_products(catalogue_client):
    ProductFactory(sku="ON", is_active=True)
    ProductFactory(sku="OFF", is_active=False)

    response = catalogue_client.get(URL)

    assert skus(response) == ["ON"]


def test_staff_see_inactive_products(staff_client):
    ProductFactory(sku="ON", title="A", is_active=True)
    ProductFactory(sku="OFF", title="B", is_active=False)

    response = staff_client.get(URL)

    assert skus(response) == ["ON", "OFF"]


def test_category_filter_includes_every_descendant_category(catalogue_client):
    # Given a tree audio > headphones > wireless, and a sibling tree
    audio = CategoryFactory()
    headphones = CategoryFactory(parent=audio)
    wireless = CategoryFactory(parent=headphones)
    kitchen = CategoryFactory()
    ProductFactory(sku="A", title="1", category=audio)
    ProductFactory(sku="H", title="2", category=headphones)
    ProductFactory(sku="W", title="3", category=wireless)
    ProductFactory(sku="K", title="4", category=kitchen)
    ProductFactory(sku="NONE", title="5", category=None)

    # When filtering by the middle of the tree
    response = catalogue_client.get(URL, {"category": headphones.pk})

    # Then the category and everything below it match
    assert skus(response) == ["H", "W"]


def test_unknown_category_is_a_field_error(catalogue_client):
    response = catalogue_client.get(URL, {"category": 999999})

    assert response.status_code == 400
    assert response.json() == {"category": ['Invalid pk "999999" - object does not exist.']}


def test_price_range_is_inclusive(catalogue_client):
    ProductFactory(sku="5", title="a", price=Decimal("5.00"))
    ProductFactory(sku="10", title="b", price=Decimal("10.00"))
    ProductFactory(sku="20", title="c", price=Decimal("20.00"))
    ProductFactory(sku="21", title="d", price=Decimal("20.01"))

    response = catalogue_client.get(URL, {"price_min": "10", "price_max": "20"})

    assert skus(response) == ["10", "20"]


def test_price_min_above_price_max_is_a_field_error(catalogue_client):
    response = catalogue_client.get(URL, {"price_min": "20", "price_max": "10"})

    assert response.status_code == 400
    assert response.json() == {"price_max": ["Must be greater than or equal to price_min."]}


def test_non_numeric_price_is_a_field_error(catalogue_client):
    response = catalogue_client.get(URL, {"price_min": "cheap"})

    assert response.status_code == 400
    assert response.json() == {"price_min": ["A valid number is required."]}


def test_in_stock_true_keeps_products_with_stock(catalogue_client):
    ProductFactory(sku="IN", title="a", stock=2)
    ProductFactory(sku="OUT", title="b", stock=0)

    response = catalogue_client.get(URL, {"in_stock": "true"})

    assert skus(response) == ["IN"]


def test_in_stock_false_keeps_products_without_stock(catalogue_client):
    ProductFactory(sku="IN", title="a", stock=2)
    ProductFactory(sku="OUT", title="b", stock=0)

    response = catalogue_client.get(URL, {"in_stock": "false"})

    assert skus(response) == ["OUT"]


def test_search_matches_title_description_and_sku_ignoring_case(catalogue_client):
    ProductFactory(sku="T", title="Blue kettle")
    ProductFactory(sku="D", title="Mug", description="Goes with the BLUE kettle")
    ProductFactory(sku="BLUE-9", title="Teapot")
    ProductFactory(sku="X", title="Red kettle")

    response = catalogue_client.get(URL, {"search": "blue"})

    assert sorted(skus(response)) == ["BLUE-9", "D", "T"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["CHEAP", "MID", "DEAR"]),
        ("-price", ["DEAR", "MID", "CHEAP"]),
        ("title", ["MID", "DEAR", "CHEAP"]),
        ("-title", ["CHEAP", "DEAR", "MID"]),
        ("created", ["CHEAP", "MID", "DEAR"]),
        ("-created", ["DEAR", "MID", "CHEAP"]),
        ("rating", ["MID", "DEAR", "CHEAP"]),
        ("-rating", ["DEAR", "MID", "CHEAP"]),
    ],
)
def test_products_are_ordered_by_the_requested_field(catalogue_client, ordering, expected):
    # Given products created in the order CHEAP, MID, DEAR; CHEAP has no rating yet
    ProductFactory(sku="CHEAP", title="c", price=Decimal("1.00"), rating_average=None)
    ProductFactory(sku="MID", title="a", price=Decimal("5.00"), rating_average=Decimal("3.50"))
    ProductFactory(sku="DEAR", title="b", price=Decimal("9.00"), rating_average=Decimal("4.80"))

    response = catalogue_client.get(URL, {"ordering": ordering})

    assert skus(response) == expected


def test_unknown_ordering_is_a_field_error(catalogue_client):
    response = catalogue_client.get(URL, {"ordering": "stock"})

    assert response.status_code == 400
    assert response.json() == {"ordering": ['"stock" is not a valid choice.']}


def test_list_is_paginated(catalogue_client):
    for _ in range(27):
        ProductFactory()

    response = catalogue_client.get(URL, {"page": 2})

    body = response.json()
    assert body["count"] == 27
    assert len(body["results"]) == 2
    assert body["next"] is None
    assert body["previous"].endswith("/api/v1/products/")


@pytest.mark.parametrize("rows", [1, 10])
def test_list_runs_a_fixed_number_of_queries(catalogue_client, django_assert_num_queries, rows):
    category = CategoryFactory()
    for _ in range(rows):
        ProductFactory(category=category)

    # API key lookup, its last_used_at update, the count and the page.
    with django_assert_num_queries(4):
        response = catalogue_client.get(URL)

    assert len(response.json()["results"]) == rows


# --- Detail ---------------------------------------------------------------------------------


def test_storefront_gets_an_active_product(catalogue_client):
    product = ProductFactory(sku="HP-1")

    response = catalogue_client.get(f"{URL}{product.pk}/")

    assert response.status_code == 200
    assert response.json()["sku"] == "HP-1"


def test_inactive_product_is_404_for_the_storefront(catalogue_client):
    product = ProductFactory(is_active=False)

    response = catalogue_client.get(f"{URL}{product.pk}/")

    assert response.status_code == 404


def test_inactive_product_is_visible_to_staff(staff_user):
    product = ProductFactory(is_active=False)

    response = session_client(staff_user).get(f"{URL}{product.pk}/")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
