"""The audit log: price and stock changes in the admin, promotions and roll-backs, job starts
and cancels are recorded with who, when and before/after; the admin shows the log read-only."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.context import acting_as
from audit.models import AuditEntry
from audit.services import product_changes_record
from ml.models import AliasChange, Job
from ml.services import modelversion_register
from shop.models import Product
from tests.factories.api import StaffFactory, token_client

pytestmark = pytest.mark.django_db


def staff_in(group: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group))
    return user


def product_form(product: Product, **changes) -> dict:
    return {
        "sku": product.sku,
        "title": product.title,
        "price": str(product.price),
        "currency": product.currency,
        "stock": str(product.stock),
        "attributes": "{}",
        "is_active": "on",
        "reviews-TOTAL_FORMS": "0",
        "reviews-INITIAL_FORMS": "0",
        "reviews-MIN_NUM_FORMS": "0",
        "reviews-MAX_NUM_FORMS": "1000",
        **changes,
    }


def test_a_price_change_in_the_admin_writes_an_entry(client):
    product = Product.objects.create(sku="P-1", title="Scarf", price="10.00", stock=5)
    staff = staff_in("Store staff")
    client.force_login(staff)

    response = client.post(
        reverse("admin:shop_product_change", args=[product.pk]),
        product_form(product, price="12.50", stock="3"),
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.actor_label, entry.source) == (
        AuditEntry.Action.PRODUCT_CHANGE,
        staff,
        staff.username,
        AuditEntry.Source.ADMIN,
    )
    assert (entry.target_type, entry.target_id) == ("shop.product", str(product.pk))
    assert entry.changes == {"price": ["10.00", "12.50"], "stock": [5, 3]}


def test_a_change_that_leaves_price_and_stock_alone_writes_nothing(client):
    product = Product.objects.create(sku="P-1", title="Scarf", price="10.00", stock=5)
    client.force_login(staff_in("Store staff"))

    client.post(
        reverse("admin:shop_product_change", args=[product.pk]),
        product_form(product, title="Warm scarf"),
    )

    assert Product.objects.get(pk=product.pk).title == "Warm scarf"
    assert not AuditEntry.objects.exists()


def test_a_price_change_in_a_job_names_the_acting_user():
    product = Product.objects.create(sku="P-1", title="Scarf", price="10.00", stock=5)
    staff = StaffFactory()

    with acting_as(staff, AuditEntry.Source.JOB):
        product.price = Decimal("9.00")
        product.save()

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.source, entry.changes) == (
        staff,
        AuditEntry.Source.JOB,
        {"price": ["10.00", "9.00"]},
    )


def test_promote_and_roll_back_are_recorded_and_linked_to_the_alias_change(
    artifact_store, tiny_model_dir
):
    first = modelversion_register(task="sentiment", source_dir=tiny_model_dir, base_model="t")
    second = modelversion_register(task="sentiment", source_dir=tiny_model_dir, base_model="t")
    scientist = staff_in("Data scientists")
    client = token_client(scientist)

    for version in (first, second):
        response = client.post(
            f"/api/v1/models/{version.pk}/promote/", {"alias": "champion"}, format="json"
        )
        assert response.status_code == 200, response.json()
    response = client.post(
        "/api/v1/models/tasks/sentiment/rollback/", {"alias": "champion"}, format="json"
    )
    assert response.status_code == 200, response.json()

    entries = list(AuditEntry.objects.order_by("pk"))
    assert [(e.action, e.changes, e.actor, e.source) for e in entries] == [
        ("promote", {"sentiment:champion": [None, 1]}, scientist, "api"),
        ("promote", {"sentiment:champion": [1, 2]}, scientist, "api"),
        ("rollback", {"sentiment:champion": [2, 1]}, scientist, "api"),
    ]
    assert [e.alias_change_id for e in entries] == list(
        AliasChange.objects.order_by("pk").values_list("pk", flat=True)
    )


def test_a_job_start_and_cancel_are_recorded_with_who_did_them():
    starter = staff_in("Store staff")
    canceller = staff_in("Data scientists")

    started = token_client(starter).post("/api/v1/jobs/", {"kind": "rating_aggregates"})
    job_id = started.json()["id"]
    cancelled = token_client(canceller).post(f"/api/v1/jobs/{job_id}/cancel/")

    assert (started.status_code, cancelled.status_code) == (201, 200)
    entries = list(AuditEntry.objects.filter(target_type="ml.job").order_by("pk"))
    assert [(e.action, e.actor, e.target_id) for e in entries] == [
        (AuditEntry.Action.JOB_START, starter, str(job_id)),
        (AuditEntry.Action.JOB_CANCEL, canceller, str(job_id)),
    ]
    assert Job.objects.get(pk=job_id).status == Job.Status.CANCELLED


# --- the admin: read-only ------------------------------------------------------------------


@pytest.fixture
def entry() -> AuditEntry:
    product = Product.objects.create(sku="P-1", title="Scarf", price="10.00", stock=5)
    product.price = Decimal("11.00")
    product.save()
    return AuditEntry.objects.get()


@pytest.mark.parametrize("group", ["Store staff", "Data scientists"])
def test_store_staff_and_data_scientists_read_the_log(client, entry, group):
    client.force_login(staff_in(group))

    listing = client.get(reverse("admin:audit_auditentry_changelist"))
    detail = client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "11.00" in detail.content.decode()


def test_entries_cannot_be_edited_through_the_admin(admin_client, entry):
    url = reverse("admin:audit_auditentry_change", args=[entry.pk])

    response = admin_client.post(url, {"target_label": "nothing happened", "changes": "{}"})

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.changes == {"price": ["10.00", "11.00"]}


def test_entries_cannot_be_deleted_through_the_admin(admin_client, entry):
    delete = admin_client.post(
        reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    bulk = admin_client.post(
        reverse("admin:audit_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_entries_cannot_be_added_through_the_admin(admin_client):
    response = admin_client.get(reverse("admin:audit_auditentry_add"))

    assert response.status_code == 403


def test_a_bulk_writer_records_only_the_products_whose_price_or_stock_changed():
    staff = StaffFactory()

    with acting_as(staff, AuditEntry.Source.OTHER):
        entries = product_changes_record(
            changes=[
                (
                    1,
                    "Scarf (P-1)",
                    {"price": Decimal("10.00"), "stock": 5},
                    {"price": Decimal("8.00"), "stock": 5},
                ),
                (
                    2,
                    "Hat (P-2)",
                    {"price": Decimal("4.00"), "stock": 1},
                    {"price": Decimal("4.00"), "stock": 1},
                ),
            ]
        )

    assert [(e.target_id, e.changes, e.actor) for e in entries] == [
        ("1", {"price": ["10.00", "8.00"]}, staff)
    ]
    assert AuditEntry.objects.count() == 1


def test_a_price_set_as_text_to_the_same_value_is_no_change():
    product = Product.objects.create(sku="P-1", title="Scarf", price="10.00", stock=5)

    product.price = "10.00"
    product.save()

    assert not AuditEntry.objects.exists()


def test_a_product_import_records_the_prices_and_stock_it_changes(tmp_path):
    from shop.imports import product_import

    Product.objects.create(sku="P-1", title="Scarf", price="10.00", stock=5)
    Product.objects.create(sku="P-2", title="Hat", price="4.00", stock=1)
    path = tmp_path / "products.csv"
    path.write_text("sku,title,price,stock\nP-1,Scarf,8.00,5\nP-2,Hat,4.00,1\nP-3,New,3,3\n")

    product_import(path=path)

    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.PRODUCT_CHANGE)
    assert entry.target_id == str(Product.objects.get(sku="P-1").pk)
    assert entry.changes == {"price": ["10.00", "8.00"]}  # unchanged and new products: none
