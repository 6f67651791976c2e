"""A product's unit cost: imported as an optional column, edited in the admin, never shown by
the storefront API; and the audited price change that approved price suggestions go through."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from audit.models import AuditEntry
from shop.exceptions import ImportFailed, ProductPriceChanged
from shop.imports import product_import
from shop.models import ApiKey, Product
from shop.services import product_price_set
from tests.factories.api import StaffFactory, api_key_client, token_client
from tests.factories.shop import ProductFactory

pytestmark = pytest.mark.django_db


# --- import --------------------------------------------------------------------------------


def test_import_stores_the_unit_cost_and_a_product_without_one_has_none(write_file):
    path = write_file(
        "products.csv",
        """\
        sku,title,price,unit_cost
        TEE-1,Striped tee,19.90,8.4
        TOTE-1,Canvas tote,12.00,
        """,
    )

    report = product_import(path=path)

    assert report.created == 2
    assert Product.objects.get(sku="TEE-1").unit_cost == Decimal("8.40")
    assert Product.objects.get(sku="TOTE-1").unit_cost is None


def test_bad_unit_costs_are_row_errors_and_nothing_of_the_file_is_saved(write_file):
    ProductFactory(sku="OLD-1", price=Decimal("10.00"), unit_cost=Decimal("4.00"))
    path = write_file(
        "products.csv",
        """\
        sku,title,price,unit_cost
        OLD-1,Old product,11.00,5.00
        NEG-1,Negative,10.00,-1
        WORD-1,Word,10.00,cheap
        CENT-1,Fraction of a cent,10.00,1.005
        """,
    )

    with pytest.raises(ImportFailed) as failure:
        product_import(path=path)

    errors = [(e.row, e.field, e.message) for e in failure.value.report.errors]
    assert errors == [
        (3, "unit_cost", "-1 is negative"),
        (4, "unit_cost", "'cheap' is not a number (write e.g. 1234.50, no symbols)"),
        (5, "unit_cost", "1.005 has more than 2 decimal places"),
    ]
    old = Product.objects.get(sku="OLD-1")
    assert (old.price, old.unit_cost) == (Decimal("10.00"), Decimal("4.00"))
    assert Product.objects.count() == 1


def test_reimport_updates_a_changed_cost_and_an_empty_or_absent_cost_keeps_the_stored_one(
    write_file,
):
    product_import(
        path=write_file(
            "products.csv",
            """\
            sku,title,price,unit_cost
            A-1,A,10.00,4.00
            B-1,B,10.00,5.00
            C-1,C,10.00,6.00
            """,
        )
    )
    with_costs = write_file(
        "with_costs.csv",
        """\
        sku,title,price,unit_cost
        A-1,A,10.00,4.50
        B-1,B,10.00,
        """,
    )
    without_costs = write_file("without_costs.csv", "sku,title,price\nC-1,C,10.00\n")

    first = product_import(path=with_costs)
    second = product_import(path=without_costs)

    assert (first.updated, first.unchanged) == (1, 1)
    assert (second.updated, second.unchanged) == (0, 1)
    costs = dict(Product.objects.values_list("sku", "unit_cost"))
    assert costs == {"A-1": Decimal("4.50"), "B-1": Decimal("5.00"), "C-1": Decimal("6.00")}


def test_the_database_refuses_a_negative_cost():
    with pytest.raises(IntegrityError):
        ProductFactory(unit_cost=Decimal("-0.01"))


# --- the storefront never sees it ----------------------------------------------------------


def test_the_product_api_does_not_show_the_unit_cost():
    product = ProductFactory(unit_cost=Decimal("7.77"))
    client = api_key_client(ApiKey.Scope.CATALOGUE_READ)

    detail = client.get(f"/api/v1/products/{product.pk}/")
    listing = client.get("/api/v1/products/")

    assert detail.status_code == listing.status_code == 200
    assert "unit_cost" not in detail.json()
    assert "7.77" not in detail.content.decode()
    assert all("unit_cost" not in row for row in listing.json()["results"])
    assert "7.77" not in listing.content.decode()


def test_staff_api_does_not_show_the_unit_cost_either():
    product = ProductFactory(unit_cost=Decimal("7.77"))
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Store staff"))

    response = token_client(user).get(f"/api/v1/products/{product.pk}/")

    assert response.status_code == 200
    assert "unit_cost" not in response.json()


# --- admin ---------------------------------------------------------------------------------


def test_store_staff_set_the_unit_cost_in_the_product_admin(client):
    product = ProductFactory(sku="TEE-9", title="Tee", price=Decimal("20.00"))
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Store staff"))
    client.force_login(user)
    url = reverse("admin:shop_product_change", args=[product.pk])
    page = client.get(url)
    assert 'name="unit_cost"' in page.content.decode()

    response = client.post(
        url,
        {
            "sku": "TEE-9",
            "title": "Tee",
            "description": "",
            "category": product.category_id,
            "is_active": "on",
            "price": "20.00",
            "unit_cost": "9.50",
            "currency": product.currency,
            "stock": "10",
            "attributes": "{}",
            "reviews-TOTAL_FORMS": "0",
            "reviews-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert product.unit_cost == Decimal("9.50")


# --- the audited price change --------------------------------------------------------------


def test_setting_a_price_writes_it_and_one_audit_entry_naming_the_user():
    product = ProductFactory(price=Decimal("20.00"))
    user = StaffFactory()

    product_price_set(
        product_id=product.pk, price=Decimal("22.00"), expected_price=Decimal("20.00"), user=user
    )

    product.refresh_from_db()
    assert product.price == Decimal("22.00")
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.PRODUCT_CHANGE
    assert (entry.target_type, entry.target_id) == ("shop.product", str(product.pk))
    assert entry.changes == {"price": ["20.00", "22.00"]}
    assert entry.actor == user


def test_a_price_changed_since_the_decision_is_refused_and_nothing_is_written():
    product = ProductFactory(price=Decimal("21.00"))

    with pytest.raises(ProductPriceChanged):
        product_price_set(
            product_id=product.pk, price=Decimal("22.00"), expected_price=Decimal("20.00")
        )

    product.refresh_from_db()
    assert product.price == Decimal("21.00")
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("price", [Decimal("-1.00"), Decimal("1.001"), Decimal("NaN")])
def test_a_bad_price_is_refused(price):
    product = ProductFactory(price=Decimal("20.00"))

    with pytest.raises(ValidationError):
        product_price_set(product_id=product.pk, price=price)

    product.refresh_from_db()
    assert product.price == Decimal("20.00")
