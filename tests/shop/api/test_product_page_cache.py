"""The product list's rendered pages are cached under the catalogue's version: a repeat request
runs no query, and every kind of product or category change shows at once."""

from decimal import Decimal

import pytest

from shop import services
from shop.imports import entity_rows_import
from shop.models import Product
from tests.factories.api import (
    CategoryFactory,
    ProductFactory,
    ReviewFactory,
    StaffFactory,
    session_client,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"


def first(client, **params) -> dict:
    return client.get(URL, params).json()["results"][0]


def skus(client, **params) -> list[str]:
    return [product["sku"] for product in client.get(URL, params).json()["results"]]


# --- Queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 30])
def test_a_page_asked_again_runs_no_query(catalogue_client, django_assert_num_queries, rows):
    category = CategoryFactory()
    for _ in range(rows):
        ProductFactory(category=category)
    expected = catalogue_client.get(URL).json()

    with django_assert_num_queries(0):
        response = catalogue_client.get(URL)

    assert response.json() == expected


def test_a_cached_category_page_only_checks_that_the_category_exists(
    catalogue_client, django_assert_num_queries
):
    parent = CategoryFactory()
    ProductFactory(category=CategoryFactory(parent=parent))
    expected = catalogue_client.get(URL, {"category": parent.pk}).json()

    with django_assert_num_queries(1):  # the filter's category, not its descendants or rows
        response = catalogue_client.get(URL, {"category": parent.pk})

    assert response.json() == expected
    assert expected["count"] == 1


@pytest.mark.parametrize("rows", [1, 30])
def test_a_page_not_yet_cached_runs_the_count_and_the_page(
    catalogue_client, django_assert_num_queries, rows
):
    category = CategoryFactory()
    for _ in range(rows):
        ProductFactory(category=category)
    catalogue_client.get(URL, {"ordering": "price"})  # the key's lookup is cached now

    with django_assert_num_queries(2):
        catalogue_client.get(URL)


# --- What a cached page holds ---------------------------------------------------------------


def test_a_cached_page_builds_its_links_for_the_request(catalogue_client):
    for _ in range(30):
        ProductFactory()
    catalogue_client.get(URL, {"page": 1})

    body = catalogue_client.get(URL, {"page": 1, "search": ""}, HTTP_HOST="localhost").json()

    assert body["next"] == "http://localhost/api/v1/products/?page=2&search="
    assert body["previous"] is None


def test_a_page_past_the_end_is_still_404_once_other_pages_are_cached(catalogue_client):
    ProductFactory()
    catalogue_client.get(URL)

    response = catalogue_client.get(URL, {"page": 2})

    assert response.status_code == 404


def test_filters_and_pages_are_cached_apart(catalogue_client):
    ProductFactory(sku="KETTLE", title="Kettle", price=Decimal("30.00"))
    ProductFactory(sku="MUG", title="Mug", price=Decimal("5.00"))
    assert skus(catalogue_client) == ["KETTLE", "MUG"]

    assert skus(catalogue_client, search="mug") == ["MUG"]
    assert skus(catalogue_client, price_min="10") == ["KETTLE"]
    assert skus(catalogue_client, ordering="-title") == ["MUG", "KETTLE"]
    assert skus(catalogue_client, in_stock="false") == []


def test_staff_and_storefront_do_not_share_pages(catalogue_client):
    ProductFactory(sku="ON", title="A")
    ProductFactory(sku="OFF", title="B", is_active=False)
    assert skus(catalogue_client) == ["ON"]

    assert skus(session_client(StaffFactory())) == ["ON", "OFF"]
    assert skus(catalogue_client) == ["ON"]


# --- Every kind of change shows at once -----------------------------------------------------


def test_a_saved_product_shows_its_new_values(catalogue_client):
    product = ProductFactory(price=Decimal("10.00"))
    assert first(catalogue_client)["price"] == "10.00"

    product.price = Decimal("12.50")
    product.save()

    assert first(catalogue_client)["price"] == "12.50"


def test_a_new_product_shows_in_the_count_and_the_page(catalogue_client):
    ProductFactory(sku="A", title="a")
    assert catalogue_client.get(URL).json()["count"] == 1

    ProductFactory(sku="B", title="b")

    assert skus(catalogue_client) == ["A", "B"]


def test_a_deleted_product_leaves_the_page(catalogue_client):
    ProductFactory(sku="A", title="a")
    ProductFactory(sku="B", title="b")
    assert skus(catalogue_client) == ["A", "B"]

    Product.objects.filter(sku="A").delete()

    assert skus(catalogue_client) == ["B"]


def test_a_deactivated_product_leaves_the_storefront_page(catalogue_client):
    product = ProductFactory(sku="A")
    assert skus(catalogue_client) == ["A"]

    product.is_active = False
    product.save()

    assert skus(catalogue_client) == []


def test_a_renamed_category_shows_in_its_products(catalogue_client):
    category = CategoryFactory(name="Audio", slug="audio")
    ProductFactory(category=category)
    assert first(catalogue_client)["category"]["name"] == "Audio"

    category.name = "Sound"
    category.save()

    assert first(catalogue_client)["category"]["name"] == "Sound"


def test_a_deleted_category_leaves_its_products_without_one(catalogue_client):
    category = CategoryFactory()
    ProductFactory(category=category)
    assert first(catalogue_client)["category"] is not None

    category.delete()

    assert first(catalogue_client)["category"] is None


def test_a_price_set_by_the_service_shows(catalogue_client):
    product = ProductFactory(price=Decimal("10.00"))
    assert first(catalogue_client)["price"] == "10.00"

    services.product_price_set(product_id=product.pk, price=Decimal("9.00"))

    assert first(catalogue_client)["price"] == "9.00"


def test_recomputed_rating_aggregates_show(catalogue_client):
    product = ProductFactory()
    ReviewFactory(product=product, rating=5)
    assert first(catalogue_client)["review_count"] == 0

    services.product_rating_aggregates_recompute()

    assert first(catalogue_client)["review_count"] == 1
    assert first(catalogue_client)["rating_average"] == "5.00"


def test_an_imported_product_file_shows(catalogue_client):
    ProductFactory(sku="OLD", title="a", price=Decimal("10.00"))
    assert skus(catalogue_client) == ["OLD"]

    entity_rows_import(
        entity="products",
        rows=[
            (1, {"sku": "OLD", "title": "a", "price": "11.00"}),
            (2, {"sku": "NEW", "title": "b", "price": "3.00"}),
        ],
    )

    assert skus(catalogue_client) == ["OLD", "NEW"]
    assert first(catalogue_client)["price"] == "11.00"
