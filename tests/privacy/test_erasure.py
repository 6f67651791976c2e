"""Erasing a customer: personal data gone, orders kept on an anonymous placeholder, the
customer's rows out of every training dataset (checked with the real selectors), model versions
flagged, one transaction, one record; from the admin and the API."""

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.models import PrivacyRequest
from insights.selectors.sentiment import sentiment_training_examples
from marketing.models import AdEvent
from ml.models import ModelVersion
from recommendations.models import ListEvent, PersonalList
from recommendations.services import recs_bundle_data
from shop.models import Customer, Event, Order, Review
from shop.privacy import services
from shop.privacy.exceptions import CustomerAlreadyErased
from support.models import Conversation, IntentExample, Message
from support.selectors import intent_training_examples
from tests.factories.api import PASSWORD, StaffFactory, grant, token_client
from tests.privacy.conftest import SESSION, SHOPPER_TEXT, version

pytestmark = pytest.mark.django_db


def erase(shopper, **kwargs) -> PrivacyRequest:
    return services.customer_erase(
        customer_id=shopper.customer.pk, via=PrivacyRequest.Via.ADMIN, **kwargs
    )


def test_erasure_clears_the_customers_personal_fields_and_deletes_the_account(shopper):
    user_id = shopper.customer.user_id

    erase(shopper)

    customer = Customer.objects.get(pk=shopper.customer.pk)
    assert customer.email is None
    assert customer.name == ""
    assert customer.country == ""
    assert customer.external_id.startswith("erased-")
    assert (customer.marketing_consent, customer.profiling_consent) == (False, False)
    assert customer.user_id is None
    assert customer.erased_at is not None
    assert not get_user_model().objects.filter(pk=user_id).exists()


def test_orders_stay_on_the_anonymous_placeholder_with_their_items_and_country(shopper):
    erase(shopper)

    order = Order.objects.get(pk=shopper.order.pk)
    assert order.customer_id == shopper.customer.pk
    assert order.items.count() == 1
    assert order.country == shopper.order.country


def test_events_of_the_customer_and_of_their_sessions_are_deleted(shopper):
    erase(shopper)

    assert not Event.objects.filter(session_id=SESSION).exists()
    assert not Event.objects.filter(customer=shopper.customer).exists()
    assert Event.objects.filter(customer=shopper.other).count() == 1


def test_list_and_ad_events_stay_on_the_placeholder_without_session_ids(shopper):
    erase(shopper)

    assert list(ListEvent.objects.values_list("customer_id", "session_id")) == [
        (shopper.customer.pk, "")
    ]
    assert list(AdEvent.objects.values_list("customer_id", "session_id")) == [
        (shopper.customer.pk, "")
    ]
    assert not PersonalList.objects.filter(customer=shopper.customer).exists()


def test_reviews_keep_their_rating_and_lose_their_words(shopper):
    erase(shopper)

    review = Review.objects.get(pk=shopper.review.pk)
    assert (review.rating, review.title, review.text) == (shopper.review.rating, "", "")
    assert Review.objects.get(pk=shopper.other_review.pk).text == shopper.other_review.text


def test_support_conversations_and_copied_intent_examples_are_deleted(shopper):
    erase(shopper)

    assert not Conversation.objects.filter(pk=shopper.conversation.pk).exists()
    assert not Message.objects.filter(text=SHOPPER_TEXT).exists()
    assert not IntentExample.objects.filter(text=SHOPPER_TEXT).exists()


def test_the_other_customer_is_untouched(shopper):
    erase(shopper)

    other = Customer.objects.get(pk=shopper.other.pk)
    assert (other.email, other.name, other.erased_at) == (
        "grace.hopper@example.org",
        "Grace Hopper",
        None,
    )


# --- training data, through the real selectors -------------------------------------------


def test_the_customers_reviews_leave_the_sentiment_training_dataset(shopper):
    before = sentiment_training_examples(limit=100).review_ids

    erase(shopper)

    after = sentiment_training_examples(limit=100).review_ids
    assert shopper.review.pk in before
    assert shopper.review.pk not in after
    assert shopper.other_review.pk in after


def test_the_customers_corrected_messages_leave_the_intent_training_examples(shopper):
    before = intent_training_examples(limit=10_000).texts

    erase(shopper)

    after = intent_training_examples(limit=10_000).texts
    assert SHOPPER_TEXT in before
    assert SHOPPER_TEXT not in after
    assert len(after) == len(before) - 1


def test_the_customers_sequence_session_and_baskets_leave_the_recommendation_data(shopper):
    before = recs_bundle_data()

    erase(shopper)

    after = recs_bundle_data()
    assert str(shopper.customer.pk) in before.customer_sequences.user_ids
    assert str(shopper.customer.pk) not in after.customer_sequences.user_ids
    assert str(shopper.other.pk) in after.customer_sequences.user_ids
    assert (len(before.baskets), len(after.baskets)) == (2, 1)


# --- model versions --------------------------------------------------------------------


def test_versions_made_since_the_customers_first_training_row_are_flagged(shopper):
    older = version("sentiment", 1, days_ago=60)  # before the review (30 days ago)
    newer = version("sentiment", 2, days_ago=10)
    intent = version("intent", 1, days_ago=0)  # after the corrected message
    unrelated = version("forecast", 1, days_ago=0)

    record = erase(shopper)

    flagged = set(
        ModelVersion.objects.filter(retrain_flagged_at__isnull=False).values_list("task", "version")
    )
    assert flagged == {("sentiment", 2), ("intent", 1), ("recommendations", 1)}
    assert record.flagged_versions == ["intent v1", "recommendations v1", "sentiment v2"]
    newer.refresh_from_db()
    assert f"privacy request #{record.pk}" in newer.retrain_reason
    assert older.pk and intent.pk and unrelated.pk


def test_a_version_already_flagged_keeps_its_first_flag(shopper):
    flagged_before = version("sentiment", 2, days_ago=10)
    ModelVersion.objects.filter(pk=flagged_before.pk).update(
        retrain_reason="earlier erasure", retrain_flagged_at=flagged_before.created_at
    )

    erase(shopper)

    flagged_before.refresh_from_db()
    assert flagged_before.retrain_reason == "earlier erasure"


def test_a_customer_without_training_rows_flags_nothing(db):
    from tests.factories.api import CustomerFactory

    customer = CustomerFactory()
    version("sentiment", 1, days_ago=0)

    record = services.customer_erase(customer_id=customer.pk, via=PrivacyRequest.Via.API)

    assert record.flagged_versions == []
    assert not ModelVersion.objects.filter(retrain_flagged_at__isnull=False).exists()


# --- transaction and record ------------------------------------------------------------


def test_the_erasure_record_keeps_counts_and_no_personal_data(shopper):
    staff = StaffFactory()

    record = erase(shopper, user=staff)

    record.refresh_from_db()
    assert (record.kind, record.requested_by, record.customer_id) == (
        PrivacyRequest.Kind.ERASURE,
        staff,
        shopper.customer.pk,
    )
    assert record.counts["events_deleted"] == 2
    assert record.counts["orders_kept"] == 1
    assert record.counts["reviews_anonymised"] == 1
    assert record.counts["support_conversations_deleted"] == 1
    assert record.counts["support_messages_deleted"] == 2
    assert record.counts["intent_examples_deleted"] == 1
    assert record.counts["accounts_deleted"] == 1
    text = str(record.counts) + str(record.flagged_versions)
    assert "ada" not in text.lower() and "lovelace" not in text.lower()


def test_a_failure_part_way_leaves_everything_as_it_was(shopper):
    with (
        mock.patch.object(services, "_versions_flag", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        erase(shopper)

    customer = Customer.objects.get(pk=shopper.customer.pk)
    assert (customer.email, customer.erased_at) == ("ada.lovelace@example.org", None)
    assert Event.objects.filter(session_id=SESSION).count() == 2
    assert Review.objects.get(pk=shopper.review.pk).text == shopper.review.text
    assert not PrivacyRequest.objects.exists()


def test_erasing_twice_is_refused(shopper):
    erase(shopper)

    with pytest.raises(CustomerAlreadyErased):
        erase(shopper)


# --- API ---------------------------------------------------------------------------------


def test_staff_with_the_permission_erase_a_customer_through_the_api(shopper):
    staff = grant(StaffFactory(), "audit.erase_customer")

    response = token_client(staff).post(
        f"/api/v1/privacy/customers/{shopper.customer.pk}/erase/", {"confirm": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["counts"]["orders_kept"] == 1
    assert Customer.objects.get(pk=shopper.customer.pk).erased_at is not None


def test_the_staff_erasure_needs_a_confirmation(shopper):
    staff = grant(StaffFactory(), "audit.erase_customer")

    response = token_client(staff).post(
        f"/api/v1/privacy/customers/{shopper.customer.pk}/erase/", {"confirm": False}, format="json"
    )

    assert response.status_code == 400
    assert "confirm" in response.json()
    assert Customer.objects.get(pk=shopper.customer.pk).erased_at is None


def test_staff_without_the_permission_cannot_erase(shopper):
    response = token_client(StaffFactory()).post(
        f"/api/v1/privacy/customers/{shopper.customer.pk}/erase/", {"confirm": True}, format="json"
    )

    assert response.status_code == 403
    assert Customer.objects.get(pk=shopper.customer.pk).erased_at is None


def test_erasing_an_erased_customer_through_the_api_is_a_conflict(shopper):
    staff = grant(StaffFactory(), "audit.erase_customer")
    erase(shopper)

    response = token_client(staff).post(
        f"/api/v1/privacy/customers/{shopper.customer.pk}/erase/", {"confirm": True}, format="json"
    )

    assert response.status_code == 409


def test_a_customer_erases_themselves_with_their_password(shopper):
    client = token_client(shopper.customer.user)

    response = client.post("/api/v1/me/erase/", {"password": PASSWORD}, format="json")
    again = client.get("/api/v1/me/export/")

    assert response.status_code == 200, response.json()
    assert response.json()["via"] == PrivacyRequest.Via.SELF
    assert Customer.objects.get(pk=shopper.customer.pk).erased_at is not None
    assert again.status_code == 401  # the account and its token are gone


def test_a_wrong_password_erases_nothing(shopper):
    response = token_client(shopper.customer.user).post(
        "/api/v1/me/erase/", {"password": "not it"}, format="json"
    )

    assert response.status_code == 400
    assert "password" in response.json()
    assert Customer.objects.get(pk=shopper.customer.pk).erased_at is None


# --- Admin -------------------------------------------------------------------------------


@pytest.fixture
def store_staff_client(client):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="Store staff"))
    client.force_login(staff)
    return client


def test_the_admin_asks_for_confirmation_before_erasing(shopper, store_staff_client):
    url = reverse("admin:shop_customer_erase", args=[shopper.customer.pk])

    page = store_staff_client.get(url)

    assert page.status_code == 200
    assert f"Yes, erase customer {shopper.customer.pk}" in page.content.decode()
    assert Customer.objects.get(pk=shopper.customer.pk).erased_at is None


def test_the_admin_erases_on_confirmation(shopper, store_staff_client):
    url = reverse("admin:shop_customer_erase", args=[shopper.customer.pk])

    response = store_staff_client.post(url)

    assert response.status_code == 302
    assert response.url == reverse("admin:shop_customer_change", args=[shopper.customer.pk])
    assert Customer.objects.get(pk=shopper.customer.pk).erased_at is not None
    assert PrivacyRequest.objects.get().via == PrivacyRequest.Via.ADMIN


def test_the_admin_erase_page_is_refused_without_the_permission(shopper, client):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="Support agents"))
    client.force_login(staff)

    response = client.post(reverse("admin:shop_customer_erase", args=[shopper.customer.pk]))

    assert response.status_code == 403
    assert Customer.objects.get(pk=shopper.customer.pk).erased_at is None


def test_the_registry_admin_shows_which_versions_need_retraining(shopper, client):
    flagged = version("sentiment", 2, days_ago=10)
    version("sentiment", 1, days_ago=60)
    erase(shopper)
    scientist = StaffFactory()
    scientist.groups.add(Group.objects.get(name="Data scientists"))
    client.force_login(scientist)

    listing = client.get(reverse("admin:ml_modelversion_changelist") + "?retrain=needed")

    shown = [row.pk for row in listing.context["cl"].result_list]
    assert flagged.pk in shown
    assert len(shown) == 2  # sentiment v2 and recommendations v1, not sentiment v1
    assert "Retrain needed since" in listing.content.decode()


def test_no_personal_field_of_the_customers_rows_survives_except_the_retained_ones(shopper):
    from django.apps import apps

    from shop.privacy import PII_FIELDS, RETAINED_ON_ERASURE

    user_id = shopper.customer.user_id
    erase(shopper)

    links = {
        "auth.User": {"pk": user_id},
        "shop.Customer": {"pk": shopper.customer.pk},
        "support.Conversation": {"customer": shopper.customer},
        "support.Message": {"conversation__customer": shopper.customer},
    }
    surviving = {}
    for label, fields in PII_FIELDS.items():
        model = apps.get_model(label)
        rows = model.objects.filter(**links.get(label, {"customer": shopper.customer}))
        kept = set(RETAINED_ON_ERASURE.get(label, ()))
        if label == "shop.Customer":
            kept.add("external_id")  # replaced by a random placeholder id
        for field in set(fields) - kept:
            values = [value for value in rows.values_list(field, flat=True) if value]
            if values:
                surviving[f"{label}.{field}"] = values
    assert surviving == {}
    assert Customer.objects.get(pk=shopper.customer.pk).external_id.startswith("erased-")
