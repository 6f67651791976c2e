from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop import services
from shop.api.throttling import ApiKeyScopedRateThrottle
from shop.models import ApiKey, Event
from tests.factories.api import CustomerFactory, ProductFactory, api_key_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"
WHEN = "2026-03-01T10:00:00Z"


def view_event(**fields) -> dict:
    return {"kind": "view", "occurred_at": WHEN, "session_id": "s-1", **fields}


# --- Storing --------------------------------------------------------------------------------


def test_batch_of_events_is_stored(events_client):
    # Given a product and a known customer
    product = ProductFactory(sku="MUG")
    customer = CustomerFactory(external_id="c-42")

    # When the storefront sends a view by SKU, a purchase by id and a visitor's search
    response = events_client.post(
        URL,
        {
            "events": [
                {
                    "kind": "view",
                    "occurred_at": WHEN,
                    "product_sku": "MUG",
                    "customer_external_id": "c-42",
                },
                {
                    "kind": "purchase",
                    "occurred_at": WHEN,
                    "product_id": product.pk,
                    "customer_external_id": "c-42",
                    "source": "app",
                },
                {"kind": "search", "occurred_at": WHEN, "session_id": "s-9", "query": "mug"},
            ]
        },
    )

    # Then all three are stored with their references resolved
    assert response.status_code == 201
    assert response.json() == {"created": 3}
    when = datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert sorted(
        Event.objects.values_list(
            "kind", "product_id", "customer_id", "session_id", "query", "source", "occurred_at"
        )
    ) == [
        ("purchase", product.pk, customer.pk, "", "", "app", when),
        ("search", None, None, "s-9", "mug", "web", when),
        ("view", product.pk, customer.pk, "", "", "web", when),
    ]


def test_batch_of_500_events_is_accepted(events_client):
    product = ProductFactory()

    response = events_client.post(URL, {"events": [view_event(product_id=product.pk)] * 500})

    assert response.status_code == 201
    assert Event.objects.count() == 500


def test_batch_of_501_events_is_refused_whole(events_client):
    product = ProductFactory()

    response = events_client.post(URL, {"events": [view_event(product_id=product.pk)] * 501})

    assert response.status_code == 400
    assert response.json() == {"events": ["Ensure this field has no more than 500 elements."]}
    assert Event.objects.count() == 0


def test_empty_batch_is_refused(events_client):
    response = events_client.post(URL, {"events": []})

    assert response.status_code == 400
    assert response.json() == {"events": ["This list may not be empty."]}


def test_body_without_events_is_refused(events_client):
    response = events_client.post(URL, {})

    assert response.status_code == 400
    assert response.json() == {"events": ["This field is required."]}


@pytest.mark.parametrize("events", [1, 50])
def test_a_batch_runs_a_fixed_number_of_queries(events_client, django_assert_num_queries, events):
    product = ProductFactory()
    events_client.post(URL, {"events": [view_event(product_id=product.pk)]})  # key cached

    # The products looked up, then the insert in its transaction (here a savepoint in the
    # test's transaction: savepoint, insert, release).
    with django_assert_num_queries(4):
        response = events_client.post(URL, {"events": [view_event(product_id=product.pk)] * events})

    assert response.json() == {"created": events}


# --- Durability -----------------------------------------------------------------------------

ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF"


def _batch_statements() -> list[str]:
    product = ProductFactory()
    event = services.EventData(
        kind="view", occurred_at=timezone.now(), product_id=product.pk, session_id="s-1"
    )
    with CaptureQueriesContext(connection) as queries:
        services.event_create_batch(events=[event])
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_commits_without_waiting_for_the_disk_on_postgresql(settings):
    settings.EVENTS_ASYNC_COMMIT = True
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")

    assert ASYNC_COMMIT in _batch_statements()
    assert Event.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_commits_durably_by_default():
    assert ASYNC_COMMIT not in _batch_statements()
    assert Event.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_inside_a_callers_transaction_keeps_the_callers_durability():
    with transaction.atomic():
        statements = _batch_statements()

    assert ASYNC_COMMIT not in statements
    assert Event.objects.count() == 1


# --- All or nothing -------------------------------------------------------------------------


def test_one_bad_event_rejects_the_batch_with_errors_by_index(events_client):
    # Given a batch whose second and fourth events are malformed
    product = ProductFactory()
    good = view_event(product_id=product.pk)
    events = [
        good,
        {**good, "kind": "wishlist"},
        good,
        {"kind": "click", "session_id": "s-1", "product_id": product.pk},
    ]

    # When it is sent
    response = events_client.post(URL, {"events": events})

    # Then nothing is stored and each error names its event and field
    assert response.status_code == 400
    assert response.json() == {
        "events": {
            "1": {"kind": ['"wishlist" is not a valid choice.']},
            "3": {"occurred_at": ["This field is required."]},
        }
    }
    assert Event.objects.count() == 0


def test_unknown_references_reject_the_batch_with_errors_by_index(events_client):
    product = ProductFactory(sku="MUG")
    events = [
        view_event(product_sku="MUG"),
        view_event(product_sku="NOPE"),
        view_event(product_id=999999),
        view_event(product_id=product.pk, customer_external_id="ghost"),
    ]

    response = events_client.post(URL, {"events": events})

    assert response.status_code == 400
    assert response.json() == {
        "events": {
            "1": {"product_sku": ["No product has SKU 'NOPE'."]},
            "2": {"product_id": ["No product has id 999999."]},
            "3": {"customer_external_id": ["No customer has id 'ghost'."]},
        }
    }
    assert Event.objects.count() == 0


def test_event_without_customer_or_session_is_a_field_error(events_client):
    product = ProductFactory()

    response = events_client.post(
        URL, {"events": [{"kind": "view", "occurred_at": WHEN, "product_id": product.pk}]}
    )

    assert response.status_code == 400
    assert response.json() == {
        "events": {
            "0": {"session_id": ["Give customer_external_id or, for a visitor, session_id."]}
        }
    }


def test_view_without_a_product_is_a_field_error(events_client):
    response = events_client.post(URL, {"events": [view_event()]})

    assert response.status_code == 400
    assert response.json() == {
        "events": {"0": {"product_id": ["A view event needs product_id or product_sku."]}}
    }


def test_search_without_a_query_is_a_field_error(events_client):
    response = events_client.post(URL, {"events": [view_event(kind="search")]})

    assert response.status_code == 400
    assert response.json() == {"events": {"0": {"query": ["A search event needs its query."]}}}


def test_product_id_and_sku_together_are_a_field_error(events_client):
    product = ProductFactory(sku="MUG")

    response = events_client.post(
        URL, {"events": [view_event(product_id=product.pk, product_sku="MUG")]}
    )

    assert response.status_code == 400
    assert response.json() == {
        "events": {"0": {"product_sku": ["Give product_id or product_sku, not both."]}}
    }


def test_event_from_the_future_is_a_field_error(events_client):
    product = ProductFactory()
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()

    response = events_client.post(
        URL, {"events": [view_event(product_id=product.pk, occurred_at=tomorrow)]}
    )

    assert response.status_code == 400
    assert response.json() == {"events": {"0": {"occurred_at": ["Must not be in the future."]}}}


def test_events_that_are_not_a_list_are_a_field_error(events_client):
    response = events_client.post(URL, {"events": {"kind": "view"}})

    assert response.status_code == 400
    assert response.json() == {"events": ['Expected a list of items but got type "dict".']}


# --- Who may call ---------------------------------------------------------------------------


def test_anonymous_caller_cannot_send_events(anonymous_client):
    response = anonymous_client.post(URL, {"events": [view_event()]})

    assert response.status_code == 401


def test_key_without_events_scope_cannot_send_events(catalogue_client):
    product = ProductFactory()

    response = catalogue_client.post(URL, {"events": [view_event(product_id=product.pk)]})

    assert response.status_code == 403
    assert Event.objects.count() == 0


def test_staff_cannot_send_events(staff_client):
    product = ProductFactory()

    response = staff_client.post(URL, {"events": [view_event(product_id=product.pk)]})

    assert response.status_code == 403


def test_customer_cannot_send_events(customer_client):
    product = ProductFactory()

    response = customer_client.post(URL, {"events": [view_event(product_id=product.pk)]})

    assert response.status_code == 403


# --- Throttling -----------------------------------------------------------------------------


def test_batches_beyond_the_rate_are_throttled(events_client, monkeypatch):
    # Given a rate of two batches a minute
    monkeypatch.setattr(ApiKeyScopedRateThrottle, "THROTTLE_RATES", {"events": "2/minute"})
    product = ProductFactory()
    body = {"events": [view_event(product_id=product.pk)]}

    # When a third batch comes within the minute
    statuses = [events_client.post(URL, body).status_code for _ in range(3)]

    # Then it is refused and not stored
    assert statuses == [201, 201, 429]
    assert Event.objects.count() == 2


def test_each_api_key_has_its_own_rate_budget(events_client, monkeypatch):
    # Given one key that used up its budget
    monkeypatch.setattr(ApiKeyScopedRateThrottle, "THROTTLE_RATES", {"events": "1/minute"})
    product = ProductFactory()
    body = {"events": [view_event(product_id=product.pk)]}
    events_client.post(URL, body)

    # When another storefront key sends a batch
    response = api_key_client(ApiKey.Scope.EVENTS_WRITE).post(URL, body)

    # Then it is accepted
    assert response.status_code == 201
