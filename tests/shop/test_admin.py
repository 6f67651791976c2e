"""The store's admin: every changelist renders, query counts stay flat, API keys are issued
through the service and shown once."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shop.api.authentication import hash_api_key
from shop.models import ApiKey, Category, Customer, Event, Order, OrderItem, Product, Review
from shop.paginators import EstimatedCountPaginator

pytestmark = pytest.mark.django_db

SHOP_MODELS = ["category", "product", "customer", "order", "orderitem", "review", "event", "apikey"]
CHANGELIST_QUERY_LIMIT = 12


def _store(rows: int, *, start: int = 0) -> None:
    """`rows` of every shop model, linked the way real data is (tree, orders, reviews...)."""
    now = timezone.now()
    root, _ = Category.objects.get_or_create(name="Women", slug="women")
    for i in range(start, start + rows):
        child = Category.objects.create(name=f"Dresses {i}", slug=f"dresses-{i}", parent=root)
        leaf = Category.objects.create(name=f"Maxi {i}", slug=f"maxi-{i}", parent=child)
        product = Product.objects.create(
            sku=f"SKU-{i}", title=f"Dress {i}", price=Decimal("20.00"), category=leaf
        )
        customer = Customer.objects.create(
            external_id=f"C-{i}", email=f"c{i}@example.com", name=f"Customer {i}"
        )
        order = Order.objects.create(
            number=f"O-{i}", customer=customer, total=Decimal("40.00"), placed_at=now
        )
        OrderItem.objects.create(order=order, product=product, quantity=2, unit_price="20.00")
        Review.objects.create(product=product, customer=customer, rating=4, created_at=now)
        Event.objects.create(
            kind=Event.Kind.VIEW, customer=customer, product=product, occurred_at=now
        )
        ApiKey.objects.create(
            name=f"Key {i}", prefix=f"p{i:07d}", key_hash=f"{i:064d}", scopes=["catalogue:read"]
        )


def _changelist(model: str) -> str:
    return reverse(f"admin:shop_{model}_changelist")


@pytest.fixture
def staff_client(client, django_user_model):
    """A client logged in as a staff user (not a superuser) in the given group."""

    def login(group_name: str):
        user = django_user_model.objects.create_user(
            username=group_name.lower().replace(" ", "-"), password="pw", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group_name))
        client.force_login(user)
        return client

    return login


# --- Changelists ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", SHOP_MODELS)
def test_changelist_renders_rows(admin_client, model):
    _store(rows=3)

    response = admin_client.get(_changelist(model))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 3


@pytest.mark.parametrize("model", SHOP_MODELS)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, model, django_assert_max_num_queries
):
    _store(rows=1)
    admin_client.get(_changelist(model))  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(_changelist(model))
    _store(rows=20, start=1)

    with django_assert_max_num_queries(len(one_row)):
        response = admin_client.get(_changelist(model))

    assert response.status_code == 200
    assert len(one_row) <= CHANGELIST_QUERY_LIMIT


@pytest.mark.parametrize("model", ["category", "product", "customer", "order", "review"])
def test_change_page_renders(admin_client, model):
    _store(rows=2)
    obj = {
        "category": Category.objects.filter(parent__isnull=False).first,
        "product": Product.objects.first,
        "customer": Customer.objects.first,
        "order": Order.objects.first,
        "review": Review.objects.first,
    }[model]()

    response = admin_client.get(reverse(f"admin:shop_{model}_change", args=[obj.pk]))

    assert response.status_code == 200
    assert response.context["original"].pk == obj.pk


def test_product_changelist_annotates_review_count_and_average(admin_client):
    now = timezone.now()
    rated = Product.objects.create(sku="R-1", title="Rated", price="5.00")
    unrated = Product.objects.create(sku="U-1", title="Unrated", price="5.00")
    for rating in (5, 4, 4):
        Review.objects.create(product=rated, rating=rating, created_at=now)

    response = admin_client.get(_changelist("product"))

    rows = {p.pk: (p.num_reviews, p.avg_rating) for p in response.context["cl"].result_list}
    assert rows[rated.pk][0] == 3
    assert rows[rated.pk][1] == pytest.approx(13 / 3)
    assert rows[unrated.pk] == (0, None)
    assert "4.33" in response.content.decode()


def test_product_changelist_sorts_by_review_count(admin_client):
    now = timezone.now()
    few = Product.objects.create(sku="F", title="A few", price="1.00")
    many = Product.objects.create(sku="M", title="B many", price="1.00")
    Review.objects.create(product=few, rating=3, created_at=now)
    for _ in range(3):
        Review.objects.create(product=many, rating=3, created_at=now)
    columns = admin_client.get(_changelist("product")).context["cl"].list_display
    column = columns.index("reviews_count")

    response = admin_client.get(_changelist("product"), {"o": f"-{column}"})

    assert [p.pk for p in response.context["cl"].result_list] == [many.pk, few.pk]


def test_customer_changelist_annotates_order_count_and_spend_without_cancelled(admin_client):
    now = timezone.now()
    customer = Customer.objects.create(external_id="C-1", name="Ada")
    idle = Customer.objects.create(external_id="C-2", name="Bob")
    Order.objects.create(number="1", customer=customer, total="30.00", placed_at=now)
    Order.objects.create(number="2", customer=customer, total="12.50", placed_at=now)
    Order.objects.create(
        number="3",
        customer=customer,
        total="99.00",
        placed_at=now,
        status=Order.Status.CANCELLED,
    )

    response = admin_client.get(_changelist("customer"))

    rows = {c.pk: (c.num_orders, c.total_spend) for c in response.context["cl"].result_list}
    assert rows[customer.pk] == (3, Decimal("42.50"))
    assert rows[idle.pk] == (0, None)
    assert "42.50 GBP" in response.content.decode()


def test_category_changelist_shows_place_in_tree(admin_client):
    _store(rows=1)

    response = admin_client.get(_changelist("category"))

    assert "Women › Dresses 0 › Maxi 0" in response.content.decode()


def test_product_change_page_shows_only_the_newest_reviews(admin_client):
    product = Product.objects.create(sku="P", title="Popular", price="1.00")
    start = timezone.now()
    for i in range(25):
        Review.objects.create(product=product, rating=5, created_at=start + timedelta(minutes=i))

    response = admin_client.get(reverse("admin:shop_product_change", args=[product.pk]))

    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.initial_form_count() == 20
    shown = [form.instance.created_at for form in formset.initial_forms]
    assert shown[0] == start + timedelta(minutes=24)


def test_product_change_page_saves_with_review_inline(admin_client):
    product = Product.objects.create(sku="P", title="Old title", price="1.00")
    review = Review.objects.create(product=product, rating=2, created_at=timezone.now())
    url = reverse("admin:shop_product_change", args=[product.pk])
    data = {
        "sku": "P",
        "title": "New title",
        "price": "1.00",
        "currency": "GBP",
        "stock": "0",
        "attributes": "{}",
        "is_active": "on",
        "reviews-TOTAL_FORMS": "1",
        "reviews-INITIAL_FORMS": "1",
        "reviews-MIN_NUM_FORMS": "0",
        "reviews-MAX_NUM_FORMS": "1000",
        "reviews-0-id": str(review.pk),
        "reviews-0-product": str(product.pk),
        "reviews-0-rating": "3",
        "reviews-0-title": "",
        "reviews-0-created_at_0": "2026-01-01",
        "reviews-0-created_at_1": "10:00:00",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    product.refresh_from_db()
    review.refresh_from_db()
    assert (product.title, review.rating) == ("New title", 3)


def test_order_change_page_uses_autocomplete_for_products(admin_client):
    _store(rows=5)
    order = Order.objects.get(number="O-0")

    response = admin_client.get(reverse("admin:shop_order_change", args=[order.pk]))

    body = response.content.decode()
    assert "admin-autocomplete" in body
    assert "Dress 0 (SKU-0)" in body
    assert "Dress 4 (SKU-4)" not in body


# --- Events ------------------------------------------------------------------------------


def test_events_cannot_be_added_or_edited(admin_client):
    _store(rows=1)
    event = Event.objects.get()

    add = admin_client.get(reverse("admin:shop_event_add"))
    change = admin_client.post(
        reverse("admin:shop_event_change", args=[event.pk]), {"kind": "click"}
    )

    assert add.status_code == 403
    assert change.status_code == 403
    event.refresh_from_db()
    assert event.kind == Event.Kind.VIEW


def test_events_filter_by_kind_and_source(admin_client):
    now = timezone.now()
    Event.objects.create(kind="search", session_id="s1", query="red dress", occurred_at=now)
    Event.objects.create(kind="search", session_id="s2", query="hat", occurred_at=now, source="app")
    product = Product.objects.create(sku="P", title="P", price="1.00")
    Event.objects.create(kind="view", session_id="s1", product=product, occurred_at=now)

    response = admin_client.get(_changelist("event"), {"kind__exact": "search", "source": "web"})

    assert [e.query for e in response.context["cl"].result_list] == ["red dress"]


def test_the_event_source_filter_lists_every_source_from_the_index(admin_client):
    now = timezone.now()
    for source in ["email", "app", "web", "app"]:
        Event.objects.create(kind="search", session_id="s", query="q", source=source,
                             occurred_at=now)  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        listed = admin_client.get(_changelist("event"))
    chosen = admin_client.get(_changelist("event"), {"source": "email"})

    source_filter = next(f for f in listed.context["cl"].filter_specs if f.title == "source")
    choices = [c["display"] for c in source_filter.choices(listed.context["cl"])]
    assert choices == ["All", "app", "email", "web"]
    assert [e.source for e in chosen.context["cl"].result_list] == ["email"]
    if connection.vendor == "postgresql":  # elsewhere the filter falls back to DISTINCT
        assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]


def test_the_event_list_filters_by_date_range_and_reads_no_distinct_over_the_table(admin_client):
    now = timezone.now()
    Event.objects.create(kind="search", session_id="s", query="new", occurred_at=now)
    Event.objects.create(
        kind="search", session_id="s", query="old", occurred_at=now - timedelta(days=40)
    )
    week = {
        "occurred_at__gte": (now - timedelta(days=7)).isoformat(),
        "occurred_at__lt": (now + timedelta(days=1)).isoformat(),
    }

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(_changelist("event"), week)

    assert [e.query for e in response.context["cl"].result_list] == ["new"]
    hierarchy = [q["sql"] for q in queries.captured_queries if "DATE_TRUNC" in q["sql"].upper()]
    assert hierarchy == []  # no date hierarchy: its links are a DISTINCT over the table


def _counts_over_table(queries) -> list[str]:
    """The captured counts without a LIMIT and the DISTINCTs: reads of the whole table."""
    return [
        q["sql"] for q in queries.captured_queries
        if (q["sql"].upper().startswith("SELECT COUNT(") and "LIMIT" not in q["sql"].upper())
        or "DISTINCT" in q["sql"]
    ]  # fmt: skip


@pytest.mark.parametrize("model", ["customer", "order", "event"])
def test_large_table_lists_are_counted_from_the_estimate_on_postgresql(
    admin_client, monkeypatch, model
):
    """On PostgreSQL the changelist of a large table is counted from the planner's estimate
    (and says "about"), with no COUNT or DISTINCT over the table; a filtered list is counted
    exactly while it is small. Other databases count exactly."""
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from", 3)
    _store(rows=4)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE shop_{model}")
    smallest = apps.get_model("shop", model).objects.order_by("pk").values_list("pk", flat=True)

    with CaptureQueriesContext(connection) as queries:
        unfiltered = admin_client.get(_changelist(model))
        filtered = admin_client.get(_changelist(model), {"id__gt": 0})
        small = admin_client.get(_changelist(model), {"id__gt": smallest[1]})

    assert unfiltered.context["cl"].result_count == 4
    assert filtered.context["cl"].result_count == 4
    assert small.context["cl"].result_count == 2
    assert not small.context["cl"].paginator.estimated
    assert "2 " + model + "s" in small.content.decode()
    if connection.vendor == "postgresql":
        bounded = [q["sql"] for q in queries.captured_queries if "LIMIT 3)" in q["sql"].upper()]
        # The bounded count reads only the keys, not the list's per-row annotations.
        assert bounded and all(sql.upper().count("SELECT") == 2 for sql in bounded)
        assert unfiltered.context["cl"].paginator.estimated
        assert filtered.context["cl"].paginator.estimated
        assert _counts_over_table(queries) == []
        assert f"about 4 {model}s" in unfiltered.content.decode()
    else:
        assert not unfiltered.context["cl"].paginator.estimated
        assert not filtered.context["cl"].paginator.estimated
        assert f"4 {model}s" in unfiltered.content.decode()


def test_a_large_filtered_list_the_planner_underestimates_says_or_more(admin_client, monkeypatch):
    """When the bounded count reaches the cap but the planner expects fewer rows, the list
    shows the cap as a lower bound rather than a wrong estimate."""
    if connection.vendor != "postgresql":
        pytest.skip("counts are estimated on PostgreSQL only")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_from", 3)
    monkeypatch.setattr(EstimatedCountPaginator, "_planner_estimate", staticmethod(lambda q: 1))
    _store(rows=4)

    response = admin_client.get(_changelist("order"), {"id__gt": 0})

    assert response.context["cl"].result_count == 3
    assert response.context["cl"].paginator.at_least
    assert "3 or more orders" in response.content.decode()
    assert len(response.context["cl"].result_list) == 4


def test_the_order_currency_filter_lists_currencies_from_the_index(admin_client):
    _store(rows=3)
    Order.objects.filter(pk=Order.objects.order_by("pk")[0].pk).update(currency="USD")

    with CaptureQueriesContext(connection) as queries:
        listed = admin_client.get(_changelist("order"))
    chosen = admin_client.get(_changelist("order"), {"currency": "USD"})

    currency_filter = next(f for f in listed.context["cl"].filter_specs if f.title == "currency")
    choices = [c["display"] for c in currency_filter.choices(listed.context["cl"])]
    assert choices == ["All", *sorted({"USD", settings.STORE_CURRENCY})]
    assert [o.currency for o in chosen.context["cl"].result_list] == ["USD"]
    if connection.vendor == "postgresql":
        assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]


# --- API keys ----------------------------------------------------------------------------


def test_creating_an_api_key_shows_the_raw_key_once(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:shop_apikey_add"),
        {"name": "Storefront", "scopes": ["catalogue:read", "events:write"]},
        follow=True,
    )

    key = ApiKey.objects.get()
    assert (key.name, key.scopes, key.created_by) == (
        "Storefront",
        ["catalogue:read", "events:write"],
        admin_user,
    )
    shown = re.findall(r"The key is <code>([^<]+)</code>", response.content.decode())
    assert len(shown) == 1
    raw_key = shown[0]
    assert hash_api_key(raw_key) == key.key_hash
    assert raw_key.startswith(key.prefix)
    again = admin_client.get(reverse("admin:shop_apikey_change", args=[key.pk]))
    assert raw_key not in again.content.decode()


def test_creating_an_api_key_without_scopes_is_refused(admin_client):
    response = admin_client.post(reverse("admin:shop_apikey_add"), {"name": "No scopes"})

    assert response.status_code == 200
    assert "scopes" in response.context["adminform"].form.errors
    assert not ApiKey.objects.exists()


def test_creating_an_api_key_with_an_unknown_scope_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:shop_apikey_add"), {"name": "Bad", "scopes": ["admin:everything"]}
    )

    assert "scopes" in response.context["adminform"].form.errors
    assert not ApiKey.objects.exists()


def test_api_key_change_page_is_read_only(admin_client):
    _store(rows=1)
    key = ApiKey.objects.get()

    admin_client.post(
        reverse("admin:shop_apikey_change", args=[key.pk]),
        {"name": "Renamed", "scopes": '["ads:read"]', "is_active": ""},
    )

    key.refresh_from_db()
    assert (key.name, key.scopes, key.is_active) == ("Key 0", ["catalogue:read"], True)


def test_revoke_action_deactivates_selected_keys(admin_client):
    _store(rows=2)
    first, second = ApiKey.objects.order_by("pk")

    response = admin_client.post(
        _changelist("apikey"),
        {"action": "revoke", "_selected_action": [first.pk]},
        follow=True,
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    assert "Revoked 1 API key(s)." in response.content.decode()


# --- Site and permissions ----------------------------------------------------------------


def test_admin_header_and_title_show_the_store_name(admin_client, settings):
    settings.STORE_NAME = "Acme Outfitters"

    body = admin_client.get(reverse("admin:index")).content.decode()

    assert "Acme Outfitters back office" in body
    assert "| Acme Outfitters</title>" in body


def test_admin_pages_load_htmx_from_local_static(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()

    assert '<script src="/static/ml/htmx.min.js" defer></script>' in body


def test_support_agent_sees_orders_but_not_api_keys(staff_client):
    client = staff_client("Support agents")

    assert client.get(_changelist("order")).status_code == 200
    assert client.get(_changelist("apikey")).status_code == 403


def test_store_staff_changelist_is_not_n_plus_one(staff_client, django_assert_max_num_queries):
    client = staff_client("Store staff")
    _store(rows=1)
    client.get(_changelist("product"))
    with CaptureQueriesContext(connection) as one_row:
        client.get(_changelist("product"))
    _store(rows=15, start=1)

    with django_assert_max_num_queries(len(one_row)):
        assert client.get(_changelist("product")).status_code == 200
