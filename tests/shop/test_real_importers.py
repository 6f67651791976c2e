"""The importers of the real data sets, on small slices of the files in ../shared/data."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from shop.imports import clothing_product_price, clothing_reviews_import, online_retail_import
from shop.models import Customer, Order, OrderItem, Product, Review

pytestmark = pytest.mark.django_db


# --- Women's E-Commerce Clothing Reviews ---------------------------------------------------


def test_clothing_reviews_become_products_in_categories_and_reviews(clothing_reviews_csv):
    products, reviews = clothing_reviews_import(path=clothing_reviews_csv, limit=200)

    assert (products.created, reviews.created, reviews.rows) == (53, 200, 200)
    first = Review.objects.select_related("product__category__parent__parent").get(
        external_id="wcr-0"
    )
    assert (first.rating, first.title, first.customer) == (4, "", None)
    assert first.text == "Absolutely wonderful - silky and sexy and comfortable"
    product = first.product
    assert (product.sku, product.title) == ("CLOTH-767", "Intimates style 767")
    assert product.price == clothing_product_price(clothing_id=767, department="Intimate")
    # Division > Department > Class, with the source's "Initmates" corrected.
    category = product.category
    assert [category.parent.parent.name, category.parent.name, category.name] == [
        "Intimates",
        "Intimate",
        "Intimates",
    ]
    assert product.review_count == Review.objects.filter(product=product).count()


def test_clothing_review_text_spanning_lines_is_read_whole(clothing_reviews_csv):
    clothing_reviews_import(path=clothing_reviews_csv, limit=30)

    text = Review.objects.get(external_id="wcr-13").text
    assert text.startswith("Bought the black xs to go under the larkspur midi dress")
    assert "\n" in text and "\r" not in text


def test_clothing_product_takes_its_most_frequent_category_from_the_whole_file(
    clothing_reviews_csv,
):
    clothing_reviews_import(path=clothing_reviews_csv, limit=10)

    # 1080 is reviewed 180 times under General and 109 under General Petite.
    dress = Product.objects.select_related("category__parent__parent").get(sku="CLOTH-1080")
    assert dress.category.parent.parent.name == "General"


def test_clothing_reviews_reimport_is_idempotent(clothing_reviews_csv):
    clothing_reviews_import(path=clothing_reviews_csv, limit=100)

    products, reviews = clothing_reviews_import(path=clothing_reviews_csv, limit=100)

    assert (products.created, products.updated, products.unchanged) == (0, 0, products.rows)
    assert (reviews.created, reviews.updated, reviews.unchanged) == (0, 0, 100)
    assert Review.objects.count() == 100


def test_clothing_top_products_keeps_the_most_reviewed_with_their_reviews(clothing_reviews_csv):
    products, reviews = clothing_reviews_import(
        path=clothing_reviews_csv, limit=300, top_products=2
    )

    assert products.created == 2
    counts = {p.sku: p.review_count for p in Product.objects.all()}
    assert sum(counts.values()) == reviews.created == Review.objects.count()
    assert min(counts.values()) >= 10


def test_import_clothing_reviews_command_prints_both_reports(clothing_reviews_csv, capsys):
    call_command("import_clothing_reviews", str(clothing_reviews_csv), "--limit", "20")

    output = capsys.readouterr().out
    assert "products (Womens_Clothing_E-Commerce_Reviews.csv): " in output
    assert "reviews (Womens_Clothing_E-Commerce_Reviews.csv): 20 row(s) read; 20 created" in output


# --- UCI Online Retail ---------------------------------------------------------------------


def test_online_retail_invoices_become_orders_of_customers_and_products(online_retail_csv):
    products, customers, orders = online_retail_import(path=online_retail_csv, limit=1200)

    # The invoice being read at row 1,200 (538826, 83 lines) is finished: 1,214 rows.
    assert orders.rows == 1214
    assert (orders.created, orders.duplicates_dropped) == (59, 2)
    assert (products.created, customers.created) == (647, 47)
    order = Order.objects.select_related("customer").get(number="536370")
    assert order.customer.external_id == "OR-12583"
    assert (order.status, order.country, order.currency) == ("delivered", "France", "GBP")
    assert order.placed_at == datetime(2010, 12, 1, 8, 45, tzinfo=UTC)
    assert order.items.count() == 20
    assert order.total == order.subtotal == Decimal("855.86")
    # Its 83 rows hold one exact duplicate (FELTCRAFT PRINCESS CHARLOTTE DOLL, twice).
    assert OrderItem.objects.filter(order__number="538826").count() == 82
    assert Customer.objects.get(external_id="OR-12583").country == "France"


def test_online_retail_blank_customer_id_is_a_guest_order(online_retail_csv):
    online_retail_import(path=online_retail_csv, limit=200)

    guest = Order.objects.get(number="536885")
    assert guest.customer is None
    assert Order.objects.filter(customer__isnull=True).count() == 1


def test_online_retail_fee_codes_are_inactive_products(online_retail_csv):
    online_retail_import(path=online_retail_csv, limit=1200)

    postage = Product.objects.get(sku="POST")
    assert (postage.title, postage.is_active) == ("POSTAGE", False)
    assert Product.objects.get(sku="22728").is_active


def test_online_retail_reimport_is_idempotent(online_retail_csv):
    online_retail_import(path=online_retail_csv, limit=400)
    items = OrderItem.objects.count()

    reports = online_retail_import(path=online_retail_csv, limit=400)

    assert [(r.created, r.updated, r.unchanged == r.rows) for r in reports[:2]] == [
        (0, 0, True),
        (0, 0, True),
    ]
    assert (reports[2].created, reports[2].updated) == (0, 0)
    assert reports[2].unchanged == Order.objects.count()
    assert OrderItem.objects.count() == items


def test_import_online_retail_command_prints_three_reports(online_retail_csv, capsys):
    call_command("import_online_retail", str(online_retail_csv), "--limit", "30")

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["products", "customers", "orders"]


def test_online_retail_cancellation_invoice_is_a_cancelled_order_with_negative_lines(write_file):
    # The shared extract has no C-invoices; the full UCI file does, in this format.
    path = write_file(
        "retail.csv",
        """\
        InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
        536370,22728,ALARM CLOCK  PINK ,24,12/1/10 8:45,3.75,12583.0,France
        C536379,22728,ALARM CLOCK  PINK ,-2,12/1/10 9:41,3.75,12583.0,France
        536380,POST,POSTAGE,1,12/1/10 9:45,18,,Unspecified
        """,
    )

    online_retail_import(path=path)

    cancelled = Order.objects.get(number="C536379")
    assert (cancelled.status, cancelled.total) == ("cancelled", Decimal("-7.50"))
    assert list(cancelled.items.values_list("quantity", flat=True)) == [-2]
    assert Product.objects.get(sku="22728").title == "ALARM CLOCK PINK"
    guest = Order.objects.get(number="536380")
    assert (guest.customer, guest.country) == (None, "")
