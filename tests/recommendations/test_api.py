"""The recommendations API: shapes, reasons, fallbacks, permissions, bad input, feedback."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from ml.serving import model_cache
from recommendations import services, serving
from recommendations.models import ListEvent
from shop.models import ApiKey
from tests.factories.api import (
    CustomerFactory,
    StaffFactory,
    UserFactory,
    api_key_client,
    session_client,
    token_client,
)
from tests.factories.shop import OrderFactory, OrderItemFactory
from tests.recommendations.store import FAST_SEQUENTIAL, build_planted_store

pytestmark = pytest.mark.django_db

BASE = "/api/v1/recommendations"


@pytest.fixture(autouse=True)
def fresh_caches(settings):
    settings.ML_DEVICE = "cpu"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    model_cache.clear()
    serving.available_products.clear()
    yield
    model_cache.clear()


@pytest.fixture(scope="module")
def trained_store(django_db_setup, django_db_blocker, tmp_path_factory):
    """One trained store for the module (training takes seconds; the tests only read)."""
    from django.test import override_settings

    artifacts = tmp_path_factory.mktemp("artifacts")
    storages = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(artifacts)},
    }
    from django.conf import settings

    with override_settings(STORAGES={**settings.STORAGES, "ml_artifacts": storages}):
        with django_db_blocker.unblock():
            from django.db import transaction

            with transaction.atomic():
                store = build_planted_store()
                services.recs_train(sequential=FAST_SEQUENTIAL, use_content=False)
                services.personal_lists_recompute()
                yield store
                transaction.set_rollback(True)


@pytest.fixture
def store(trained_store, settings):
    return trained_store


@pytest.fixture
def storefront() -> APIClient:
    return api_key_client(ApiKey.Scope.RECOMMENDATIONS_READ)


def test_bought_together_lists_products_with_reasons_in_words(store, storefront):
    p = store.products
    response = storefront.get(f"{BASE}/bought-together/{p['P'].pk}/?limit=3")
    assert response.status_code == 200
    body = response.json()
    assert body["list"] == "bought_together" and body["fallback"] == ""
    assert body["model_version"] is not None
    first = body["items"][0]
    assert first["position"] == 1
    assert first["product"]["id"] == p["Q"].pk
    assert set(first["product"]) == {"id", "sku", "title", "price", "currency", "category"}
    assert first["reason"] == "bought_with"
    assert first["reason_text"] == f"Often bought with {p['P'].title}"
    assert first["anchor_product"] == p["P"].pk


def test_for_you_for_a_customer_uses_their_precomputed_list(store, storefront):
    customer = store.customers[0]
    body = storefront.get(f"{BASE}/for-you/?customer={customer.pk}&limit=5").json()
    assert body["list"] == "for_you" and body["fallback"] == ""
    stored = customer.personal_list.items
    assert [i["product"]["id"] for i in body["items"]] == [r["product"] for r in stored][:5]


def test_for_you_reads_one_stored_list_and_then_nothing_once_cached(
    store, storefront, django_assert_num_queries
):
    first, second = store.customers[0], store.customers[1]
    storefront.get(f"{BASE}/for-you/?customer={first.pk}&limit=5")  # key, model, catalogue

    with django_assert_num_queries(1):  # the customer's stored list
        fresh = storefront.get(f"{BASE}/for-you/?customer={second.pk}&limit=5").json()
    with django_assert_num_queries(0):
        cached = storefront.get(f"{BASE}/for-you/?customer={second.pk}&limit=5").json()

    assert cached == fresh
    assert fresh["fallback"] == ""


def test_a_customer_token_always_gets_its_own_list(store):
    own = store.customers[0]
    other = store.customers[-1]
    own.user = UserFactory()
    own.save()
    client = token_client(own.user)
    mine = client.get(f"{BASE}/for-you/?customer={other.pk}").json()
    expected = [r["product"] for r in own.personal_list.items][:10]
    assert [i["product"]["id"] for i in mine["items"]] == expected


def test_unknown_customer_and_product_fall_back_without_an_error(store, storefront):
    body = storefront.get(f"{BASE}/for-you/?customer=999999999").json()
    assert body["fallback"] and body["items"]
    response = storefront.get(f"{BASE}/similar/999999999/")
    assert response.status_code == 200 and response.json()["fallback"]


def test_trending_in_a_category(store, storefront):
    shoes = store.categories["Shoes"]
    body = storefront.get(f"{BASE}/trending/?category={shoes.pk}").json()
    assert body["items"]
    assert {i["product"]["category"] for i in body["items"]} == {"Shoes"}
    assert all(i["reason_text"] == "Trending in Shoes" for i in body["items"])


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=51", "limit=ten", "customer=-3", "customer=abc", "category=x"],
)
def test_bad_parameters_are_400_with_field_errors(store, storefront, query):
    endpoint = "trending" if query.startswith("category") else "for-you"
    response = storefront.get(f"{BASE}/{endpoint}/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


@pytest.mark.parametrize("path", ["for-you/", "trending/", "similar/1/", "bought-together/1/"])
def test_who_may_read_lists(db, path):
    assert APIClient().get(f"{BASE}/{path}").status_code == 401
    wrong_scope = api_key_client(ApiKey.Scope.CATALOGUE_READ)
    assert wrong_scope.get(f"{BASE}/{path}").status_code == 403
    assert token_client(UserFactory()).get(f"{BASE}/{path}").status_code == 403
    assert (
        api_key_client(ApiKey.Scope.RECOMMENDATIONS_READ).get(f"{BASE}/{path}").status_code == 200
    )
    assert session_client(StaffFactory()).get(f"{BASE}/{path}").status_code == 200


def test_list_events_are_saved_all_or_nothing(store):
    client = api_key_client(ApiKey.Scope.EVENTS_WRITE)
    p = store.products
    customer = store.customers[0]
    good = {"kind": "impression", "list": "similar", "position": 1, "product": p["A"].pk,
            "customer": customer.pk}  # fmt: skip
    for bad, field in (
        ({**good, "product": 999999999}, "product"),
        ({**good, "position": 0}, "position"),
    ):
        response = client.post(f"{BASE}/events/", {"events": [good, bad]}, format="json")
        assert response.status_code == 400
        assert set(response.json()["events"]["1"]) == {field}
    assert ListEvent.objects.count() == 0
    response = client.post(f"{BASE}/events/", {"events": [good, good]}, format="json")
    assert response.status_code == 201 and response.json() == {"saved": 2}
    no_shopper = {k: v for k, v in good.items() if k != "customer"}
    assert (
        client.post(f"{BASE}/events/", {"events": [no_shopper]}, format="json").status_code == 400
    )


def test_list_events_need_the_events_scope(db):
    client = api_key_client(ApiKey.Scope.RECOMMENDATIONS_READ)
    assert client.post(f"{BASE}/events/", {"events": []}, format="json").status_code == 403


def test_report_counts_ctr_and_conversions_from_orders(store):
    p = store.products
    buyer, browser = CustomerFactory(), CustomerFactory()
    clicked_at = timezone.now() - timedelta(days=2)
    events = [
        ListEvent(
            kind="impression",
            list_type="similar",
            position=i,
            product=p["A"],
            customer=browser,
            occurred_at=clicked_at,
        )  # fmt: skip
        for i in range(1, 5)
    ] + [
        ListEvent(
            kind="click",
            list_type="similar",
            position=1,
            product=p["B"],
            customer=buyer,
            occurred_at=clicked_at,
        ),  # fmt: skip
        ListEvent(
            kind="click",
            list_type="similar",
            position=2,
            product=p["C"],
            customer=browser,
            occurred_at=clicked_at,
        ),  # fmt: skip
    ]
    ListEvent.objects.bulk_create(events)
    order = OrderFactory(customer=buyer, placed_at=clicked_at + timedelta(days=1))
    OrderItemFactory(order=order, product=p["B"])
    late = OrderFactory(customer=browser, placed_at=clicked_at + timedelta(days=30))
    OrderItemFactory(order=late, product=p["C"])  # outside the 7-day window

    response = session_client(StaffFactory()).get(f"{BASE}/report/")
    assert response.status_code == 200
    (row,) = response.json()
    assert row["list"] == "similar"
    assert (row["impressions"], row["clicks"], row["conversions"]) == (4, 2, 1)
    assert row["ctr"] == 0.5 and row["conversion_rate"] == 0.5
    assert (
        api_key_client(ApiKey.Scope.RECOMMENDATIONS_READ).get(f"{BASE}/report/").status_code == 403
    )


def test_a_cached_list_sends_the_bytes_drf_renders_and_other_formats_still_work(store):
    from rest_framework.renderers import JSONRenderer

    staff = session_client(StaffFactory())
    url = f"{BASE}/similar/{store.products['P'].pk}/?limit=3"
    first = staff.get(url)
    cached = staff.get(url)
    indented = staff.get(url, HTTP_ACCEPT="application/json; indent=2")
    page = staff.get(url, HTTP_ACCEPT="text/html")

    body = first.json()
    assert cached.content == first.content == JSONRenderer().render(body)
    assert cached["Content-Type"] == "application/json"
    assert indented.content.startswith(b'{\n  "list"') and indented.json() == body
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert body["items"][0]["product"]["title"] in page.content.decode()
