"""Importing products, customers, orders, reviews and events from CSV and JSON Lines files."""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from shop import imports
from shop.exceptions import ImportFailed
from shop.imports import (
    customer_import,
    event_import,
    order_import,
    product_import,
    review_import,
    store_import,
)
from shop.models import Category, Customer, Event, Order, OrderItem, Product, Review
from tests.factories.shop import (
    CustomerFactory,
    EventFactory,
    ProductFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db


def rejected(import_function, path) -> list[tuple[int | None, str]]:
    """Run an import that must fail; return its (row, field) errors."""
    with pytest.raises(ImportFailed) as failure:
        import_function(path=path)
    return [(error.row, error.field) for error in failure.value.report.errors]


# --- Products ----------------------------------------------------------------------------


def test_product_csv_rows_are_created_with_defaults_and_normalised_values(write_file, settings):
    settings.STORE_CURRENCY = "EUR"
    path = write_file(
        "products.csv",
        """\
        SKU , Title ,price,category,stock,currency,is_active,attributes
          ab-1  ,  Striped tee ,19.9, Women > Tops ,,,,"{""colour"": ""navy""}"
        BAG-7,Canvas tote,12,Accessories,3,gbp,no,
        """,
    )

    report = product_import(path=path)

    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    tee = Product.objects.get(sku="AB-1")
    assert tee.title == "Striped tee"
    assert tee.price == Decimal("19.90")
    assert (tee.currency, tee.stock, tee.is_active) == ("EUR", 0, True)
    assert tee.attributes == {"colour": "navy"}
    assert tee.category.name == "Tops"
    assert tee.category.parent.name == "Women"
    bag = Product.objects.get(sku="BAG-7")
    assert (bag.currency, bag.stock, bag.is_active, bag.attributes) == ("GBP", 3, False, {})


def test_products_jsonl_accepts_typed_json_values(write_file):
    path = write_file(
        "products.jsonl",
        [
            {"sku": "j-1", "title": "Scarf", "price": 15.5, "stock": 4, "is_active": False},
            {"sku": "J-2", "title": "Belt", "price": "9", "attributes": {"size": "M"}},
        ],
    )

    report = product_import(path=path)

    assert report.created == 2
    scarf = Product.objects.get(sku="J-1")
    assert (scarf.price, scarf.stock, scarf.is_active) == (Decimal("15.50"), 4, False)
    assert Product.objects.get(sku="J-2").attributes == {"size": "M"}


def test_product_without_price_rejects_the_row_and_saves_nothing(write_file):
    path = write_file(
        "products.csv",
        """\
        sku,title,price
        A-1,Good product,10
        A-2,No price,
        """,
    )

    assert rejected(product_import, path) == [(3, "price")]
    assert Product.objects.count() == 0


def test_file_with_bad_rows_reports_every_bad_row_and_saves_nothing(write_file):
    path = write_file(
        "products.csv",
        """\
        sku,title,price,stock,category
        OK-1,Fine,10,1,A > B
        BAD-1,Price is text,ten,1,
        BAD-2,,-5,1,
        OK-2,Fine too,3.50,,
        BAD-3,Too precise,1.999,lots,
        BAD-4,Empty level,4,,A > > B
        """,
    )

    with pytest.raises(ImportFailed) as failure:
        product_import(path=path)

    report = failure.value.report
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "price"),
        (4, "title"),
        (4, "price"),
        (6, "price"),
        (6, "stock"),
        (7, "category"),
    ]
    assert report.bad_rows == 4
    assert "REJECTED" in report.summary()
    assert Product.objects.count() == 0
    assert Category.objects.count() == 0


def test_csv_row_numbers_are_file_lines_even_after_a_multiline_field(write_file):
    path = write_file(
        "products.csv",
        'sku,title,price,description\nA-1,One,1,"first line\nsecond line"\nA-2,Two,oops,\n',
    )

    assert rejected(product_import, path) == [(4, "price")]


def test_jsonl_row_numbers_are_lines_and_bad_json_is_a_row_error(write_file):
    path = write_file(
        "products.jsonl",
        '{"sku": "A-1", "title": "One", "price": 1}\n\n{"sku": "A-2", "title": "Two"\n[1, 2]\n',
    )

    assert rejected(product_import, path) == [(3, ""), (4, "")]


def test_missing_required_column_rejects_the_file_with_one_error(write_file):
    path = write_file("products.csv", "sku,title\nA-1,One\nA-2,Two\n")

    assert rejected(product_import, path) == [(1, "price")]


def test_unsupported_file_type_is_rejected(write_file):
    path = write_file("products.xlsx", "sku,title,price\n")

    assert rejected(product_import, path) == [(None, "")]


def test_identical_duplicate_rows_are_dropped_and_counted(write_file):
    path = write_file(
        "products.csv",
        """\
        sku,title,price
        A-1,One,1.00
        a-1 , One ,1
        A-2,Two,2
        A-1,One,1
        """,
    )

    report = product_import(path=path)

    assert (report.created, report.duplicates_dropped) == (2, 2)
    assert Product.objects.count() == 2


def test_duplicate_key_with_different_values_is_an_error_naming_the_first_row(write_file):
    path = write_file("products.csv", "sku,title,price\nA-1,One,1\nA-1,One,2\n")

    with pytest.raises(ImportFailed) as failure:
        product_import(path=path)

    [error] = failure.value.report.errors
    assert (error.row, error.field) == (3, "price")
    assert "row 2" in error.message


def test_reimporting_the_same_products_changes_nothing_and_reports_unchanged(write_file):
    path = write_file("products.csv", "sku,title,price,category\nA-1,One,1,X > Y\nA-2,Two,2,\n")
    product_import(path=path)
    before = list(Product.objects.order_by("sku").values("sku", "title", "price", "updated_at"))

    report = product_import(path=path)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    after = list(Product.objects.order_by("sku").values("sku", "title", "price", "updated_at"))
    assert after == before
    assert Category.objects.count() == 2


def test_reimport_updates_changed_products_and_keeps_their_rating_aggregates(write_file):
    product = ProductFactory(sku="A-1", title="Old", price=Decimal("1.00"), stock=7)
    ReviewFactory(product=product, rating=5)
    Product.objects.filter(pk=product.pk).update(review_count=1, rating_average=Decimal("5"))
    path = write_file("products.csv", "sku,title,price\nA-1,New,1.00\nA-2,Two,2\n")

    report = product_import(path=path)

    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    product.refresh_from_db()
    # The file has no stock column: a missing value means 0, also on update.
    assert (product.title, product.stock, product.review_count) == ("New", 0, 1)
    assert product.category is None


# --- Customers ---------------------------------------------------------------------------


def test_customers_are_normalised(write_file):
    path = write_file(
        "customers.csv",
        """\
        external_id,email,name,country,marketing_consent,profiling_consent
          C-1 , Ann@Example.COM ,  Ann Lee ,  UNITED KINGDOM ,YES,
        C-2,,,  new   zealand ,,0
        C-3,bo@example.com,Bo,USA,,
        """,
    )

    report = customer_import(path=path)

    assert report.created == 3
    ann = Customer.objects.get(external_id="C-1")
    assert (ann.email, ann.name, ann.country) == ("ann@example.com", "Ann Lee", "United Kingdom")
    assert (ann.marketing_consent, ann.profiling_consent) == (True, True)
    anonymous = Customer.objects.get(external_id="C-2")
    assert (anonymous.email, anonymous.profiling_consent) == (None, False)
    assert anonymous.country == "New Zealand"
    assert Customer.objects.get(external_id="C-3").country == "USA"


def test_bad_customer_rows_are_all_reported(write_file):
    CustomerFactory(external_id="OLD", email="taken@example.com")
    path = write_file(
        "customers.csv",
        """\
        external_id,email,marketing_consent
        ,a@example.com,
        C-2,not-an-email,
        C-3,b@example.com,maybe
        C-4,taken@example.com,
        C-5,c@example.com,
        C-6,C@Example.com,
        """,
    )

    assert rejected(customer_import, path) == [
        (2, "external_id"),
        (3, "email"),
        (4, "marketing_consent"),
        (5, "email"),
        (7, "email"),
    ]
    assert Customer.objects.count() == 1


def test_reimporting_customers_is_idempotent(write_file):
    path = write_file("customers.jsonl", [{"external_id": "C-1", "email": "a@example.com"}])
    customer_import(path=path)

    report = customer_import(path=path)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Customer.objects.count() == 1


def test_a_customer_added_between_the_lookup_and_the_write_is_updated_not_a_key_error(
    write_file, monkeypatch
):
    """The write is an upsert on the natural key (on PostgreSQL through a staging table): a
    row someone adds after the importer looked for it is updated, not a unique-key failure."""
    path = write_file("customers.jsonl", [{"external_id": "C-1", "name": "From the file"}])
    real_chunks = imports._chunks

    def chunks_then_someone_adds_the_customer(items, *args, **kwargs):
        yield from real_chunks(items, *args, **kwargs)
        if not Customer.objects.filter(external_id="C-1").exists():
            CustomerFactory(external_id="C-1", name="Added meanwhile", email="c1@example.com")

    monkeypatch.setattr(imports, "_chunks", chunks_then_someone_adds_the_customer)

    customer_import(path=path)

    customer = Customer.objects.get(external_id="C-1")
    assert customer.name == "From the file"
    assert customer.email is None
    assert Customer.objects.count() == 1


def table_statistics_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        return cursor.fetchone()[0]


def test_an_import_that_fills_a_table_refreshes_its_statistics(
    write_file, django_capture_on_commit_callbacks
):
    """The planner's statistics of a table a large import filled are refreshed when the
    import commits (PostgreSQL), not whenever autovacuum gets round to it; a small import
    into a large table leaves them to autovacuum."""
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics (ANALYZE) are PostgreSQL's")
    rows = [{"external_id": f"C-{n}"} for n in range(30)]
    with django_capture_on_commit_callbacks(execute=True):
        customer_import(path=write_file("customers.jsonl", rows))
    assert table_statistics_rows("shop_customer") == 30

    with django_capture_on_commit_callbacks(execute=True):
        customer_import(path=write_file("more.jsonl", [{"external_id": "C-new"}]))
    assert table_statistics_rows("shop_customer") == 30  # 1 row is under a tenth of 30


# --- Orders ------------------------------------------------------------------------------


@pytest.fixture
def catalogue():
    ProductFactory(sku="TEE", price=Decimal("20.00"))
    ProductFactory(sku="BAG", price=Decimal("12.50"))
    CustomerFactory(external_id="C-1", country="France")


ORDERS_CSV = """\
order_number,customer_id,placed_at,status,sku,quantity,unit_price
1001,C-1,2024-11-29T10:15:00Z,,tee,2,17.90
1001,C-1,2024-11-29T10:15:00Z,,BAG,1,
1002,,2024-11-29 11:02,SHIPPED,BAG,3,10
"""


def test_order_lines_are_grouped_into_orders_with_computed_totals(write_file, catalogue):
    report = order_import(path=write_file("orders.csv", ORDERS_CSV))

    assert (report.rows, report.created) == (3, 2)
    order = Order.objects.get(number="1001")
    assert order.customer.external_id == "C-1"
    assert order.status == "paid"
    assert order.country == "France"  # the customer's, as the file has none
    assert order.placed_at == datetime(2024, 11, 29, 10, 15, tzinfo=UTC)
    lines = sorted(order.items.values_list("product__sku", "quantity", "unit_price"))
    assert lines == [("BAG", 1, Decimal("12.50")), ("TEE", 2, Decimal("17.90"))]
    assert order.subtotal == order.total == Decimal("48.30")


def test_order_without_customer_id_is_a_guest_order(write_file, catalogue):
    order_import(path=write_file("orders.csv", ORDERS_CSV))

    guest = Order.objects.get(number="1002")
    assert guest.customer is None
    assert (guest.status, guest.country, guest.total) == ("shipped", "", Decimal("30.00"))


def test_bad_order_lines_are_all_reported_and_nothing_is_saved(write_file, catalogue):
    path = write_file(
        "orders.csv",
        """\
        order_number,customer_id,placed_at,status,sku,quantity,unit_price
        1,C-1,2024-01-01T10:00:00,,TEE,1,
        1,C-2,2024-01-01T10:00:00,,TEE,1,
        2,,yesterday,,NOPE,0,
        3,,2024-01-01,lost,TEE,1.5,-1
        4,,2024-01-01,paid,TEE,-1,
        5,,2024-01-01,cancelled,TEE,-1,
        1,C-1,2024-01-01T10:05:00,,BAG,1,
        """,
    )

    assert rejected(order_import, path) == [
        (3, "customer_id"),
        (4, "placed_at"),
        (4, "sku"),
        (4, "quantity"),
        (5, "status"),
        (5, "quantity"),
        (5, "unit_price"),
        (6, "quantity"),
        (8, "placed_at"),
    ]
    assert Order.objects.count() == 0
    assert OrderItem.objects.count() == 0


def test_reimporting_orders_is_idempotent(write_file, catalogue):
    path = write_file("orders.csv", ORDERS_CSV)
    order_import(path=path)
    items = sorted(OrderItem.objects.values_list("pk", flat=True))

    report = order_import(path=path)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert sorted(OrderItem.objects.values_list("pk", flat=True)) == items


def test_reimporting_a_changed_order_replaces_its_lines(write_file, catalogue):
    order_import(path=write_file("orders.csv", ORDERS_CSV))
    changed = ORDERS_CSV.replace("1001,C-1,2024-11-29T10:15:00Z,,BAG,1,\n", "")

    report = order_import(path=write_file("orders2.csv", changed))

    assert (report.updated, report.unchanged) == (1, 1)
    order = Order.objects.get(number="1001")
    assert list(order.items.values_list("product__sku", flat=True)) == ["TEE"]
    assert order.total == Decimal("35.80")


def test_identical_order_lines_are_dropped_as_duplicates(write_file, catalogue):
    path = write_file(
        "orders.jsonl",
        [
            {"order_number": "9", "placed_at": "2024-01-01", "sku": "TEE", "quantity": 1},
            {"order_number": "9", "placed_at": "2024-01-01", "sku": "tee", "quantity": "1"},
            {"order_number": "9", "placed_at": "2024-01-01", "sku": "TEE", "quantity": 2},
        ],
    )

    report = order_import(path=path)

    assert (report.created, report.duplicates_dropped) == (1, 1)
    assert sorted(Order.objects.get().items.values_list("quantity", flat=True)) == [1, 2]


# --- Reviews -----------------------------------------------------------------------------


def test_reviews_are_imported_and_rating_aggregates_recomputed(write_file, catalogue):
    path = write_file(
        "reviews.csv",
        """\
        external_id,sku,customer_id,rating,title,text,created_at
        R-1,tee,C-1,5, Lovely ,Fits well.,2024-02-01T09:00:00Z
        R-2,TEE,,2,,,2024-02-02
        """,
    )

    report = review_import(path=path)

    assert report.created == 2
    review = Review.objects.get(external_id="R-1")
    assert (review.customer.external_id, review.rating, review.title) == ("C-1", 5, "Lovely")
    tee = Product.objects.get(sku="TEE")
    assert (tee.review_count, tee.rating_average) == (2, Decimal("3.50"))


def test_bad_review_rows_are_all_reported(write_file, catalogue):
    ReviewFactory(product=Product.objects.get(sku="BAG"), customer=Customer.objects.get())
    path = write_file(
        "reviews.csv",
        """\
        external_id,sku,customer_id,rating,created_at
        R-1,TEE,,6,2024-02-01
        R-2,TEE,,,
        R-3,GHOST,C-9,3,2024-02-01
        R-4,BAG,C-1,3,2024-02-01
        R-5,TEE,C-1,3,2024-02-01
        R-6,TEE,C-1,4,2024-02-01
        """,
    )

    assert rejected(review_import, path) == [
        (2, "rating"),
        (3, "rating"),
        (3, "created_at"),
        (4, "sku"),
        (4, "customer_id"),
        (5, "customer_id"),
        (7, "customer_id"),
    ]
    assert Review.objects.count() == 1


def test_reimporting_reviews_reports_them_unchanged(write_file, catalogue):
    path = write_file(
        "reviews.jsonl",
        [{"external_id": "R-1", "sku": "TEE", "rating": 4, "created_at": "2024-02-01"}],
    )
    review_import(path=path)

    report = review_import(path=path)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


# --- Events ------------------------------------------------------------------------------


EVENTS_CSV = """\
kind,customer_id,session_id,sku,query,occurred_at,source
SEARCH,C-1,s1,,summer dress,2024-03-01T10:00:00Z,
view,C-1,s1,tee,,2024-03-01T10:00:30Z,APP
add_to_cart,,s2,BAG,,2024-03-01T11:00:00Z,web
"""


def test_events_are_imported_with_normalised_kinds_and_sources(write_file, catalogue):
    report = event_import(path=write_file("events.csv", EVENTS_CSV))

    assert report.created == 3
    search = Event.objects.get(kind="search")
    assert (search.product, search.query, search.source) == (None, "summer dress", "web")
    view = Event.objects.get(kind="view")
    assert (view.customer.external_id, view.product.sku, view.source) == ("C-1", "TEE", "app")
    assert Event.objects.get(kind="add_to_cart").customer is None


def test_bad_event_rows_are_all_reported(write_file, catalogue):
    path = write_file(
        "events.csv",
        """\
        kind,customer_id,session_id,sku,query,occurred_at
        view,C-1,,,,2024-03-01T10:00:00
        search,,s1,,,2024-03-01T10:00:00
        click,,,TEE,,2024-03-01T10:00:00
        like,C-1,,TEE,,2024-03-01T10:00:00
        view,C-1,,TEE,,
        """,
    )

    assert rejected(event_import, path) == [
        (2, "sku"),
        (3, "query"),
        (4, "session_id"),
        (5, "kind"),
        (6, "occurred_at"),
    ]
    assert Event.objects.count() == 0


def test_reimporting_events_matches_them_on_kind_who_product_and_time(write_file, catalogue):
    path = write_file("events.csv", EVENTS_CSV)
    event_import(path=path)

    report = event_import(path=path)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert Event.objects.count() == 3


def test_reimported_event_with_a_new_source_is_updated_not_duplicated(write_file, catalogue):
    event = EventFactory(
        kind="view",
        customer=Customer.objects.get(),
        session_id="old",
        product=Product.objects.get(sku="TEE"),
        occurred_at=datetime(2024, 3, 1, 10, 0, 30, tzinfo=UTC),
    )

    report = event_import(path=write_file("events.csv", EVENTS_CSV))

    assert (report.created, report.updated) == (2, 1)
    event.refresh_from_db()
    assert (event.session_id, event.source) == ("s1", "app")


def test_duplicate_events_in_a_file_are_dropped_and_counted(write_file, catalogue):
    path = write_file("events.csv", EVENTS_CSV + "view,C-1,s1,TEE,,2024-03-01T10:00:30+00:00,app\n")

    report = event_import(path=path)

    assert (report.created, report.duplicates_dropped) == (3, 1)


def test_a_bad_event_row_after_thousands_of_written_ones_rolls_them_all_back(write_file, catalogue):
    """New events are written while the file is still being checked (one COPY on
    PostgreSQL): a bad row deep in the file, and the ones after it, are all reported, and the
    rows already written before it are rolled back."""
    start = datetime(2024, 3, 1, tzinfo=UTC)
    good = [
        {"kind": "view", "customer_id": "C-1", "sku": "TEE",
         "occurred_at": (start + timedelta(minutes=n)).isoformat()}
        for n in range(5000)
    ]  # fmt: skip
    bad = {"kind": "view", "customer_id": "C-404", "sku": "TEE", "occurred_at": "2024-04-01"}
    path = write_file("events.jsonl", [*good[:4000], bad, *good[4000:], {**bad, "sku": "NOPE"}])

    assert rejected(event_import, path) == [
        (4001, "customer_id"),
        (5002, "customer_id"),
        (5002, "sku"),
    ]
    assert Event.objects.count() == 0

    report = event_import(path=write_file("good.jsonl", good))

    assert (report.created, Event.objects.count()) == (5000, 5000)


def test_a_conflicting_duplicate_event_late_in_the_file_rejects_the_file(write_file, catalogue):
    path = write_file(
        "events.csv",
        EVENTS_CSV + "view,C-1,other-session,TEE,,2024-03-01T10:00:30+00:00,app\n",
    )

    assert rejected(event_import, path) == [(5, "session_id")]
    assert Event.objects.count() == 0


# --- Several files and the command -------------------------------------------------------


@pytest.fixture
def store_files(write_file):
    return {
        "products": write_file("p.csv", "sku,title,price\nTEE,Tee,20\nBAG,Bag,12.50\n"),
        "customers": write_file("c.jsonl", [{"external_id": "C-1", "country": "france"}]),
        "orders": write_file("o.csv", ORDERS_CSV),
        "reviews": write_file(
            "r.csv", "external_id,sku,customer_id,rating,created_at\nR-1,TEE,C-1,5,2024-12-01\n"
        ),
        "events": write_file("e.csv", EVENTS_CSV),
    }


def test_import_store_loads_every_file_in_dependency_order(store_files, capsys):
    call_command(
        "import_store",
        "--events",
        store_files["events"],
        "--orders",
        store_files["orders"],
        "--reviews",
        store_files["reviews"],
        "--customers",
        store_files["customers"],
        "--products",
        store_files["products"],
    )

    output = capsys.readouterr().out
    assert [line.split(" ")[0] for line in output.splitlines()] == [
        "products",
        "customers",
        "orders",
        "reviews",
        "events",
    ]
    counts = (Product, Customer, Order, Review, Event)
    assert [model.objects.count() for model in counts] == [2, 1, 2, 1, 3]


def test_import_store_run_twice_reports_everything_unchanged(store_files):
    store_import(**store_files)

    reports = store_import(**store_files)

    assert [(r.created, r.updated, r.unchanged) for r in reports] == [
        (0, 0, 2),
        (0, 0, 1),
        (0, 0, 2),
        (0, 0, 1),
        (0, 0, 3),
    ]


def test_import_store_fails_and_skips_files_that_depend_on_a_rejected_one(
    store_files, write_file, capsys
):
    bad_products = write_file("bad.csv", "sku,title,price\nTEE,Tee,\nBAG,Bag,x\n")

    with pytest.raises(CommandError, match="3 of 3 file"):
        call_command(
            "import_store",
            "--products",
            bad_products,
            "--orders",
            store_files["orders"],
            "--events",
            store_files["events"],
        )

    output = capsys.readouterr().out
    assert "row 2, price: is required" in output
    assert "row 3, price: 'x' is not a number" in output
    assert "not imported because the products file was rejected" in output
    assert Product.objects.count() == Order.objects.count() == Event.objects.count() == 0


def test_import_store_without_files_is_an_error():
    with pytest.raises(CommandError, match="at least one file"):
        call_command("import_store")


def test_twenty_thousand_order_lines_import_in_seconds(write_file):
    ProductFactory.create_batch(50)
    skus = list(Product.objects.values_list("sku", flat=True))
    lines = ["order_number,customer_id,placed_at,sku,quantity,unit_price"]
    lines += [
        f"N{n // 4},,2024-01-{1 + n // 4 % 28:02d}T12:00:00,{skus[n % 50]},{1 + n % 3},9.99"
        for n in range(20_000)
    ]
    path = write_file("big.csv", "\n".join(lines) + "\n")

    started = time.perf_counter()
    report = order_import(path=path)
    elapsed = time.perf_counter() - started

    assert (report.created, OrderItem.objects.count()) == (5_000, 20_000)
    assert elapsed < 20, f"took {elapsed:.1f} s"


def test_trailing_empty_cells_are_ignored_but_extra_values_are_errors(write_file):
    path = write_file("products.csv", "sku,title,price\nA-1,One,1,,\nA-2,Two,2,surprise\n")

    assert rejected(product_import, path) == [(3, "")]
