import pytest

from shop.models import ApiKey
from tests.factories.api import CategoryFactory, api_key_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories/"


def test_storefront_lists_categories_with_their_parent(catalogue_client):
    root = CategoryFactory(name="Audio", slug="audio")
    child = CategoryFactory(name="Headphones", slug="headphones", parent=root)

    response = catalogue_client.get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": root.pk, "name": "Audio", "slug": "audio", "parent": None},
        {"id": child.pk, "name": "Headphones", "slug": "headphones", "parent": root.pk},
    ]


def test_staff_session_lists_categories(staff_client):
    CategoryFactory()

    response = staff_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_storefront_gets_one_category(catalogue_client):
    category = CategoryFactory(name="Audio", slug="audio")

    response = catalogue_client.get(f"{URL}{category.pk}/")

    assert response.status_code == 200
    assert response.json() == {"id": category.pk, "name": "Audio", "slug": "audio", "parent": None}


def test_missing_category_is_404(catalogue_client):
    response = catalogue_client.get(f"{URL}999999/")

    assert response.status_code == 404


def test_anonymous_caller_cannot_list_categories(anonymous_client):
    response = anonymous_client.get(URL)

    assert response.status_code == 401


def test_key_without_catalogue_scope_cannot_list_categories():
    client = api_key_client(ApiKey.Scope.EVENTS_WRITE)

    response = client.get(URL)

    assert response.status_code == 403


def test_customer_token_cannot_list_categories(customer_client):
    response = customer_client.get(URL)

    assert response.status_code == 403
