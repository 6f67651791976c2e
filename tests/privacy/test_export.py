"""A customer's data export: every customer-linked model decided on, everything exported, the
admin button and the API (staff with the permission, and the customer for themselves)."""

import json

import pytest
from django.contrib.auth.models import Group
from django.db import models
from django.test.utils import isolate_apps
from django.urls import reverse

from audit.models import PrivacyRequest
from shop.models import Customer
from shop.privacy.selectors import customer_export, relations_unlisted
from tests.factories.api import StaffFactory, grant, token_client
from tests.privacy.conftest import SESSION, SHOPPER_TEXT

pytestmark = pytest.mark.django_db


def test_every_customer_linked_model_is_exported_or_excluded():
    assert relations_unlisted() == []


@isolate_apps("tests")
def test_a_new_customer_linked_model_that_nobody_listed_is_reported():
    class Wishlist(models.Model):
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "tests"

        def __str__(self) -> str:
            return f"wishlist of {self.customer_id}"

    from django.apps import apps

    unlisted = relations_unlisted(all_models=[*apps.get_models(), Wishlist])

    assert unlisted == ["tests.Wishlist.customer"]


def test_export_holds_the_profile_consents_and_account(shopper):
    data = customer_export(customer_id=shopper.customer.pk)

    assert data["profile"]["email"] == "ada.lovelace@example.org"
    assert data["profile"]["name"] == "Ada Lovelace"
    assert data["consents"] == {"marketing": False, "profiling": True}
    assert data["account"]["username"] == shopper.customer.user.username
    assert "password" not in data["account"]


def test_export_holds_every_related_row_of_the_customer_and_none_of_another(shopper):
    data = customer_export(customer_id=shopper.customer.pk)

    assert [order["number"] for order in data["orders"]] == [shopper.order.number]
    assert [item["product_id"] for item in data["orders"][0]["items"]] == [shopper.products[0].pk]
    assert [review["id"] for review in data["reviews"]] == [shopper.review.pk]
    assert {event["session_id"] for event in data["events"]} == {SESSION}
    assert len(data["events"]) == 1
    [conversation] = data["support_conversations"]
    assert [m["text"] for m in conversation["messages"]][0] == SHOPPER_TEXT
    assert len(data["ad_events"]) == 1
    assert len(data["recommendation_list_events"]) == 1
    assert len(data["recommendations_for_you"]) == 1
    assert data["scores"] == []


def test_export_leaves_out_secrets(shopper):
    shopper.conversation.secret_hash = "f" * 64
    shopper.conversation.save()

    data = customer_export(customer_id=shopper.customer.pk)

    assert "secret_hash" not in data["support_conversations"][0]


def test_export_is_plain_json(shopper):
    data = customer_export(customer_id=shopper.customer.pk)

    assert json.loads(json.dumps(data)) == data


# --- API --------------------------------------------------------------------------------


def test_a_customer_exports_their_own_data(shopper):
    response = token_client(shopper.customer.user).get("/api/v1/me/export/")

    assert response.status_code == 200
    assert response.json()["profile"]["id"] == shopper.customer.pk
    assert PrivacyRequest.objects.get().via == PrivacyRequest.Via.SELF


def test_staff_with_the_permission_export_a_customer(shopper):
    staff = grant(StaffFactory(), "audit.export_customer_data")

    response = token_client(staff).get(f"/api/v1/privacy/customers/{shopper.customer.pk}/export/")

    assert response.status_code == 200
    assert response.json()["profile"]["email"] == "ada.lovelace@example.org"
    record = PrivacyRequest.objects.get()
    assert (record.kind, record.customer_id, record.requested_by) == (
        PrivacyRequest.Kind.EXPORT,
        shopper.customer.pk,
        staff,
    )


def test_staff_without_the_permission_cannot_export(shopper):
    response = token_client(StaffFactory()).get(
        f"/api/v1/privacy/customers/{shopper.customer.pk}/export/"
    )

    assert response.status_code == 403
    assert not PrivacyRequest.objects.exists()


def test_exporting_an_unknown_customer_is_a_404_with_a_code(shopper):
    staff = grant(StaffFactory(), "audit.export_customer_data")

    response = token_client(staff).get("/api/v1/privacy/customers/999999/export/")

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


# --- Admin ------------------------------------------------------------------------------


def test_the_admin_export_button_downloads_the_json(shopper, client):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="Store staff"))
    client.force_login(staff)

    page = client.get(reverse("admin:shop_customer_change", args=[shopper.customer.pk]))
    response = client.get(reverse("admin:shop_customer_export", args=[shopper.customer.pk]))

    export_url = reverse("admin:shop_customer_export", args=[shopper.customer.pk])
    assert export_url in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-{shopper.customer.pk}.json"'
    )
    assert json.loads(response.content)["reviews"][0]["id"] == shopper.review.pk
    assert PrivacyRequest.objects.get().via == PrivacyRequest.Via.ADMIN


def test_the_admin_export_is_refused_without_the_permission(shopper, client):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="Support agents"))
    client.force_login(staff)

    response = client.get(reverse("admin:shop_customer_export", args=[shopper.customer.pk]))

    assert response.status_code == 403


def test_the_export_runs_as_many_queries_for_many_rows_as_for_one(shopper):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.api import OrderFactory, OrderItemFactory

    with CaptureQueriesContext(connection) as one:
        customer_export(customer_id=shopper.customer.pk)
    for _ in range(4):
        OrderItemFactory(order=OrderFactory(customer=shopper.customer), product=shopper.products[1])
    with CaptureQueriesContext(connection) as five:
        data = customer_export(customer_id=shopper.customer.pk)

    assert len(data["orders"]) == 5
    assert len(five) == len(one)
