"""The price suggestion admin and job: who sees the proposals, who may decide, decisions are
POSTs with CSRF, approving from the admin is audited; the job proposes and records its run."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from rest_framework.exceptions import ValidationError

from audit.models import AuditEntry
from insights.models import PriceSuggestion
from insights.tasks.pricing import price_suggestions_weekly
from ml import services as ml_services
from ml.models import Job
from shop.models import Product
from tests.factories.api import StaffFactory
from tests.factories.shop import ProductFactory
from tests.insights.pricing_fixtures import PRICE, build_price_store, open_suggestion

CHANGELIST = "admin:insights_pricesuggestion_changelist"


def logged_in(client: Client, group: str | None = None, permissions: tuple[str, ...] = ()):
    user = StaffFactory()
    if group:
        user.groups.add(Group.objects.get(name=group))
    for label in permissions:
        app_label, codename = label.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client.force_login(user)
    return user


@pytest.fixture
def suggestion(db) -> PriceSuggestion:
    return open_suggestion(ProductFactory(price=PRICE, unit_cost=Decimal("15.00")))


@pytest.mark.django_db
def test_the_list_shows_the_proposal_with_its_expected_effect_and_range(client, suggestion):
    logged_in(client, "Marketers")

    response = client.get(reverse(CHANGELIST))

    html = response.content.decode()
    assert response.status_code == 200
    assert "20.00" in html and "22.00" in html and "+10.0%" in html
    assert "-2.00" in html  # the elasticity, with its 95% range
    assert "-17.0%" in html and "-20.0%" in html and "-14.0%" in html  # units and range
    assert "25% → 32%" in html  # margin now → proposed
    # Marketers see but do not decide: no actions, no recompute button.
    assert "approve_selected" not in html
    assert reverse("admin:insights_pricesuggestion_recompute") in html  # they may start jobs


@pytest.mark.django_db
def test_store_staff_see_approve_and_reject_buttons_on_an_open_proposal(client, suggestion):
    logged_in(client, "Store staff")

    html = client.get(
        reverse("admin:insights_pricesuggestion_change", args=[suggestion.pk])
    ).content.decode()

    assert reverse("admin:insights_pricesuggestion_approve", args=[suggestion.pk]) in html
    assert reverse("admin:insights_pricesuggestion_reject", args=[suggestion.pk]) in html


@pytest.mark.django_db
def test_a_data_scientist_sees_the_proposal_without_buttons(client, suggestion):
    logged_in(client, "Data scientists")

    html = client.get(
        reverse("admin:insights_pricesuggestion_change", args=[suggestion.pk])
    ).content.decode()

    assert "22.00" in html
    assert reverse("admin:insights_pricesuggestion_approve", args=[suggestion.pk]) not in html


@pytest.mark.django_db
def test_approving_from_the_admin_changes_the_price_and_records_who(client, suggestion):
    user = logged_in(client, "Store staff")

    response = client.post(reverse("admin:insights_pricesuggestion_approve", args=[suggestion.pk]))

    assert response.status_code == 302
    product = Product.objects.get(pk=suggestion.product_id)
    assert product.price == Decimal("22.00")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PRODUCT_CHANGE)
    assert (entry.actor, entry.source) == (user, AuditEntry.Source.ADMIN)
    assert entry.changes == {"price": ["20.00", "22.00"]}
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("approved", user)


@pytest.mark.django_db
def test_rejecting_from_the_admin_keeps_the_price(client, suggestion):
    logged_in(client, "Store staff")

    response = client.post(reverse("admin:insights_pricesuggestion_reject", args=[suggestion.pk]))

    assert response.status_code == 302
    assert Product.objects.get(pk=suggestion.product_id).price == PRICE
    suggestion.refresh_from_db()
    assert suggestion.status == "rejected"


@pytest.mark.django_db
def test_deciding_twice_is_a_message_not_a_second_change(client, suggestion):
    logged_in(client, "Store staff")
    url = reverse("admin:insights_pricesuggestion_approve", args=[suggestion.pk])
    client.post(url)

    response = client.post(url, follow=True)

    assert "already approved" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PRODUCT_CHANGE).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["approve", "reject"])
def test_a_decision_is_never_a_get(client, suggestion, name):
    logged_in(client, "Store staff")

    response = client.get(reverse(f"admin:insights_pricesuggestion_{name}", args=[suggestion.pk]))

    assert response.status_code == 405
    suggestion.refresh_from_db()
    assert suggestion.status == "proposed"


@pytest.mark.django_db
def test_a_decision_without_the_csrf_token_is_refused(suggestion):
    client = Client(enforce_csrf_checks=True)
    logged_in(client, "Store staff")

    response = client.post(reverse("admin:insights_pricesuggestion_approve", args=[suggestion.pk]))

    assert response.status_code == 403
    assert Product.objects.get(pk=suggestion.product_id).price == PRICE


@pytest.mark.django_db
@pytest.mark.parametrize(
    "permissions",
    [
        ("insights.view_pricesuggestion", "insights.change_pricesuggestion"),
        ("insights.view_pricesuggestion", "shop.change_product"),
    ],
    ids=["without shop.change_product", "without insights.change_pricesuggestion"],
)
def test_deciding_needs_both_permissions(client, suggestion, permissions):
    logged_in(client, permissions=permissions)

    response = client.post(reverse("admin:insights_pricesuggestion_approve", args=[suggestion.pk]))

    assert response.status_code == 403
    assert Product.objects.get(pk=suggestion.product_id).price == PRICE


@pytest.mark.django_db
def test_the_bulk_actions_approve_the_selected_and_skip_what_cannot_be(client):
    logged_in(client, "Store staff")
    first = open_suggestion(ProductFactory(price=PRICE, unit_cost=Decimal("15.00")))
    moved = ProductFactory(price=PRICE, unit_cost=Decimal("15.00"))
    second = open_suggestion(moved)
    Product.objects.filter(pk=moved.pk).update(price=Decimal("21.00"))

    response = client.post(
        reverse(CHANGELIST),
        {"action": "approve_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert "was changed since" in response.content.decode()
    prices = dict(Product.objects.values_list("pk", "price"))
    assert prices == {first.product_id: Decimal("22.00"), moved.pk: Decimal("21.00")}
    statuses = dict(PriceSuggestion.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "approved", second.pk: "proposed"}


@pytest.mark.django_db
def test_marketers_cannot_use_the_bulk_approve(client, suggestion):
    logged_in(client, "Marketers")

    client.post(
        reverse(CHANGELIST), {"action": "approve_selected", "_selected_action": [suggestion.pk]}
    )

    suggestion.refresh_from_db()
    assert suggestion.status == "proposed"


@pytest.mark.django_db
def test_the_recompute_button_queues_one_job(client, django_capture_on_commit_callbacks):
    user = logged_in(client, "Store staff")
    url = reverse("admin:insights_pricesuggestion_recompute")

    with django_capture_on_commit_callbacks(execute=False):
        client.post(url)
        client.post(url)

    job = Job.objects.get()
    assert (job.kind, job.created_by) == ("price_suggestions", user)


# --- the job -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{"weeks": 1}, {"max_change": 0}, {"max_change": 0.9}, {"margin_floor": -0.1}, {"as_of": "x"}],
)
def test_bad_job_parameters_are_refused_before_anything_is_queued(params):
    with pytest.raises(ValidationError):
        ml_services.job_submit(kind="price_suggestions", params=params)
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_job_proposes_prices_and_records_what_it_skipped():
    build_price_store()

    job = ml_services.job_run_in_process(kind="price_suggestions", params={"max_change": 0.1})

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.queue == "default"
    assert (job.metrics["proposed"], job.metrics["products_sold"]) == (3, 5)
    assert job.metrics["skipped: no unit cost"] == 1
    assert "3 price(s) proposed" in job.result["summary"]
    assert PriceSuggestion.objects.filter(job=job).count() == 3
    assert set(Product.objects.values_list("price", flat=True)) == {PRICE}


@pytest.mark.django_db
def test_the_weekly_entry_submits_one_job(settings):
    first = price_suggestions_weekly()
    second = price_suggestions_weekly()

    assert first == second
    assert Job.objects.get().kind == "price_suggestions"
    assert any(
        entry["task"] == "insights.price_suggestions_weekly"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )
