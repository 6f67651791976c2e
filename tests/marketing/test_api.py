"""The ads API (choice, events) and the campaign report: shapes, permissions, bad input,
conversion attribution from the order tables, report numbers on constructed data."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from marketing import selectors
from marketing.models import AdCopy, AdEvent
from shop.models import ApiKey, Order
from tests.factories.api import (
    StaffFactory,
    UserFactory,
    api_key_client,
    session_client,
    token_client,
)
from tests.factories.marketing import AdCopyFactory, AdEventFactory, CampaignFactory
from tests.factories.shop import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db

ADS = "/api/v1/ads"


@pytest.fixture
def storefront() -> APIClient:
    return api_key_client(ApiKey.Scope.ADS_READ)


@pytest.fixture
def reporter() -> APIClient:
    return api_key_client(ApiKey.Scope.EVENTS_WRITE)


def marketer() -> APIClient:
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Marketers"))
    return session_client(user)


# --- choosing a variant -----------------------------------------------------------------------


def test_an_approved_variant_is_served_with_ids_to_report_back(storefront):
    product = ProductFactory()
    variant = AdCopyFactory(product=product, headline="Stay dry", body="Light shell.")
    response = storefront.get(f"{ADS}/product-banner/?product={product.pk}&session=s1")
    assert response.status_code == 200
    assert response.json() == {
        "placement": "product-banner",
        "served": "variant",
        "campaign": variant.campaign_id,
        "product": product.pk,
        "variant": {
            "id": variant.pk,
            "campaign": variant.campaign_id,
            "product": product.pk,
            "channel": "display",
            "headline": "Stay dry",
            "body": "Light shell.",
            "call_to_action": "Shop now",
        },
    }


def test_no_approved_variant_is_an_empty_result_not_an_error(storefront):
    AdCopyFactory(status=AdCopy.Status.DRAFT)
    AdCopyFactory(status=AdCopy.Status.PAUSED)
    AdCopyFactory(placement="elsewhere")
    AdCopyFactory(
        campaign=CampaignFactory(
            starts_on=timezone.localdate() - timedelta(days=30),
            ends_on=timezone.localdate() - timedelta(days=1),
        )
    )
    response = storefront.get(f"{ADS}/product-banner/?session=s1")
    assert response.status_code == 200
    assert response.json() == {
        "placement": "product-banner",
        "served": "none",
        "campaign": None,
        "product": None,
        "variant": None,
    }


def test_copy_for_another_product_is_not_served(storefront):
    shown, other = ProductFactory(), ProductFactory()
    AdCopyFactory(product=other)
    body = storefront.get(f"{ADS}/product-banner/?product={shown.pk}&session=s1").json()
    assert body["served"] == "none"


def test_campaign_copy_is_served_for_its_target_products_only(storefront):
    targeted, untargeted = ProductFactory(), ProductFactory()
    campaign = CampaignFactory()
    campaign.target_products.add(targeted)
    variant = AdCopyFactory(campaign=campaign, product=None)
    body = storefront.get(f"{ADS}/product-banner/?product={targeted.pk}&session=s1").json()
    assert body["variant"]["id"] == variant.pk
    body = storefront.get(f"{ADS}/product-banner/?product={untargeted.pk}&session=s1").json()
    assert body["served"] == "none"


def test_campaign_copy_follows_the_target_category(storefront):
    product = ProductFactory()
    other = ProductFactory()
    variant = AdCopyFactory(campaign=CampaignFactory(target_category=product.category))
    assert (
        storefront.get(f"{ADS}/product-banner/?product={product.pk}&session=s").json()["variant"][
            "id"
        ]
        == variant.pk
    )
    assert (
        storefront.get(f"{ADS}/product-banner/?product={other.pk}&session=s").json()["served"]
        == "none"
    )


def test_the_holdout_share_of_shoppers_sees_no_ad_and_stays_there(storefront):
    campaign = CampaignFactory(holdout_share=Decimal("0.30"))
    AdCopyFactory(campaign=campaign)
    served = [
        storefront.get(f"{ADS}/product-banner/?session=shopper-{n}").json()["served"]
        for n in range(300)
    ]
    assert served.count("holdout") / 300 == pytest.approx(0.30, abs=0.08)
    assert set(served) == {"holdout", "variant"}
    held = served.index("holdout")
    again = storefront.get(f"{ADS}/product-banner/?session=shopper-{held}").json()
    assert again == {
        "placement": "product-banner",
        "served": "holdout",
        "campaign": campaign.pk,
        "product": None,
        "variant": None,
    }


def test_thompson_sampling_favours_the_variant_that_converts(db):
    product = ProductFactory()
    weak = AdCopyFactory(product=product)
    strong = AdCopyFactory(campaign=weak.campaign, product=product)
    now = timezone.now()
    for variant, conversions in ((weak, 0), (strong, 15)):
        AdEvent.objects.bulk_create(
            [
                AdEvent(
                    kind="impression",
                    placement="product-banner",
                    campaign=variant.campaign,
                    variant=variant,
                    product=product,
                    session_id="s",
                    occurred_at=now - timedelta(days=2),
                )
                for _ in range(100)
            ]
        )
        for _ in range(conversions):
            customer = CustomerFactory()
            AdEventFactory(
                variant=variant,
                kind="click",
                customer=customer,
                occurred_at=now - timedelta(days=2),
            )
            OrderItemFactory(
                order=OrderFactory(customer=customer, placed_at=now - timedelta(days=1)),
                product=product,
            )
    rng = np.random.default_rng(0)
    chosen = [
        selectors.ad_choose(
            placement="product-banner",
            product_id=product.pk,
            customer_id=None,
            session_id="s",
            rng=rng,
        ).variant.pk
        for _ in range(200)
    ]
    assert chosen.count(strong.pk) > 190


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "non_field_errors"),
        ("product=abc&session=s", "product"),
        ("product=0&session=s", "product"),
        ("product=999999999&session=s", "product"),
        ("customer=-3", "customer"),
        ("customer=999999999", "customer"),
        ("session=" + "x" * 65, "session"),
    ],
)
def test_bad_parameters_are_400_with_field_errors(storefront, query, field):
    response = storefront.get(f"{ADS}/product-banner/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_a_placement_that_is_not_a_slug_is_404(storefront):
    assert storefront.get(f"{ADS}/bad%20place/?session=s").status_code == 404


def test_who_may_ask_for_an_ad(db):
    path = f"{ADS}/product-banner/?session=s"
    assert APIClient().get(path).status_code == 401
    assert api_key_client(ApiKey.Scope.CATALOGUE_READ).get(path).status_code == 403
    assert token_client(UserFactory()).get(path).status_code == 403
    assert api_key_client(ApiKey.Scope.ADS_READ).get(path).status_code == 200
    assert session_client(StaffFactory()).get(path).status_code == 200


# --- events -----------------------------------------------------------------------------------


def test_events_are_saved_with_their_campaign_and_product(reporter):
    product = ProductFactory()
    variant = AdCopyFactory(product=product)
    holdout_campaign = CampaignFactory()
    customer = CustomerFactory()
    response = reporter.post(
        f"{ADS}/events/",
        {
            "events": [
                {
                    "kind": "impression",
                    "placement": "product-banner",
                    "variant": variant.pk,
                    "customer": customer.pk,
                },
                {
                    "kind": "click",
                    "placement": "product-banner",
                    "variant": variant.pk,
                    "customer": customer.pk,
                },
                {
                    "kind": "impression",
                    "placement": "product-banner",
                    "holdout": True,
                    "campaign": holdout_campaign.pk,
                    "product": product.pk,
                    "session_id": "s9",
                },
            ]
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {"saved": 3}
    rows = list(
        AdEvent.objects.order_by("pk").values_list(
            "kind",
            "campaign_id",
            "variant_id",
            "is_holdout",
            "product_id",
            "customer_id",
            "session_id",
        )
    )
    assert rows == [
        ("impression", variant.campaign_id, variant.pk, False, product.pk, customer.pk, ""),
        ("click", variant.campaign_id, variant.pk, False, product.pk, customer.pk, ""),
        ("impression", holdout_campaign.pk, None, True, product.pk, None, "s9"),
    ]


def test_a_batch_with_bad_fields_saves_nothing_and_lists_errors_by_row(reporter):
    variant = AdCopyFactory()
    good = {
        "kind": "impression",
        "placement": "product-banner",
        "variant": variant.pk,
        "session_id": "s",
    }
    holdout = {"kind": "impression", "placement": "product-banner", "holdout": True}
    rows = [
        good,
        {**holdout, "kind": "click", "campaign": variant.campaign_id, "session_id": "s"},
        {**holdout, "session_id": "s"},
        {"kind": "impression", "placement": "product-banner", "session_id": "s"},
        {**good, "session_id": ""},
        {**good, "occurred_at": (timezone.now() + timedelta(days=1)).isoformat()},
        {**good, "kind": "purchase"},
        {**good, "placement": "not a slug"},
    ]
    response = reporter.post(f"{ADS}/events/", {"events": rows}, format="json")
    assert response.status_code == 400
    errors = response.json()["events"]
    assert AdEvent.objects.count() == 0
    assert errors == {
        "1": {"kind": ["The holdout shows no ad to click."]},
        "2": {"campaign": ["Required for the holdout."]},
        "3": {"variant": ["Give the variant shown, or holdout."]},
        "4": {"non_field_errors": ["Give a customer or a session_id."]},
        "5": {"occurred_at": ["In the future."]},
        "6": {"kind": ['"purchase" is not a valid choice.']},
        "7": {
            "placement": [
                'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
            ]
        },
    }


def test_a_batch_with_unknown_or_inconsistent_ids_saves_nothing(reporter):
    variant = AdCopyFactory()
    good = {
        "kind": "impression",
        "placement": "product-banner",
        "variant": variant.pk,
        "session_id": "s",
    }
    about_a_product = AdCopyFactory(product=ProductFactory())
    rows = [
        good,
        {**good, "variant": 999999999},
        {**good, "placement": "elsewhere"},
        {**good, "customer": 999999999},
        {**good, "variant": about_a_product.pk, "product": ProductFactory().pk},
        {**good, "campaign": CampaignFactory().pk},
        {
            "kind": "impression",
            "placement": "x",
            "holdout": True,
            "campaign": 999999999,
            "session_id": "s",
        },
    ]
    response = reporter.post(f"{ADS}/events/", {"events": rows}, format="json")
    assert response.status_code == 400
    assert AdEvent.objects.count() == 0
    assert response.json() == {
        "events": {
            "1": {"variant": ["No such variant."]},
            "2": {"placement": ["The variant is shown at product-banner."]},
            "3": {"customer": ["No such customer."]},
            "4": {"product": ["The variant is about another product."]},
            "5": {"campaign": ["The variant belongs to another campaign."]},
            "6": {"campaign": ["No such campaign."]},
        }
    }


def test_row_errors_name_the_field(reporter):
    variant = AdCopyFactory()
    good = {
        "kind": "impression",
        "placement": "product-banner",
        "variant": variant.pk,
        "session_id": "s",
    }
    response = reporter.post(
        f"{ADS}/events/", {"events": [good, {**good, "variant": 999999999}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"events": {"1": {"variant": ["No such variant."]}}}


@pytest.mark.parametrize("body", [{}, {"events": []}, {"events": "x"}])
def test_an_empty_or_malformed_batch_is_400(reporter, body):
    assert reporter.post(f"{ADS}/events/", body, format="json").status_code == 400


def test_who_may_report_events(db):
    path = f"{ADS}/events/"
    assert APIClient().post(path, {}, format="json").status_code == 401
    assert api_key_client(ApiKey.Scope.ADS_READ).post(path, {}, format="json").status_code == 403
    assert (
        api_key_client(ApiKey.Scope.EVENTS_WRITE).post(path, {}, format="json").status_code == 400
    )
    assert session_client(StaffFactory()).post(path, {}, format="json").status_code == 400


# --- attribution ------------------------------------------------------------------------------


@pytest.fixture
def clicked():
    """A customer clicked a variant about a product two days ago."""
    product = ProductFactory(price=Decimal("25.00"))
    variant = AdCopyFactory(product=product)
    customer = CustomerFactory()
    at = timezone.now() - timedelta(days=20)
    AdEventFactory(variant=variant, kind="click", customer=customer, occurred_at=at)
    return variant, customer, product, at


def order(customer, product, placed_at, *, quantity=1, status=Order.Status.PAID):
    return OrderItemFactory(
        order=OrderFactory(customer=customer, placed_at=placed_at, status=status),
        product=product,
        quantity=quantity,
    )


def conversions_of(variant) -> dict:
    return selectors.variant_conversions(variant_ids=[variant.pk]).get(
        variant.pk, {"conversions": 0, "revenue": None}
    )


def test_an_order_of_the_product_within_the_window_after_a_click_converts(clicked):
    variant, customer, product, at = clicked
    order(customer, product, at + timedelta(days=6), quantity=2)
    assert conversions_of(variant) == {"conversions": 1, "revenue": Decimal("50.00")}


def test_two_clicks_before_one_order_count_once(clicked):
    variant, customer, product, at = clicked
    AdEventFactory(
        variant=variant, kind="click", customer=customer, occurred_at=at + timedelta(hours=1)
    )
    order(customer, product, at + timedelta(days=1))
    assert conversions_of(variant)["conversions"] == 1


def test_an_order_after_the_window_does_not_convert(clicked):
    variant, customer, product, at = clicked
    order(customer, product, at + timedelta(days=7, minutes=1))
    assert conversions_of(variant)["conversions"] == 0


def test_an_order_before_the_click_does_not_convert(clicked):
    variant, customer, product, at = clicked
    order(customer, product, at - timedelta(minutes=1))
    assert conversions_of(variant)["conversions"] == 0


def test_another_customers_order_does_not_convert(clicked):
    variant, _customer, product, at = clicked
    order(CustomerFactory(), product, at + timedelta(days=1))
    assert conversions_of(variant)["conversions"] == 0


def test_an_order_of_another_product_does_not_convert(clicked):
    variant, customer, _product, at = clicked
    order(customer, ProductFactory(), at + timedelta(days=1))
    assert conversions_of(variant)["conversions"] == 0


@pytest.mark.parametrize(
    "status", [Order.Status.CANCELLED, Order.Status.RETURNED, Order.Status.PENDING]
)
def test_an_order_that_did_not_sell_does_not_convert(clicked, status):
    variant, customer, product, at = clicked
    order(customer, product, at + timedelta(days=1), status=status)
    assert conversions_of(variant)["conversions"] == 0


def test_the_last_click_before_the_order_takes_it(clicked):
    first, customer, product, at = clicked
    second = AdCopyFactory(campaign=first.campaign, product=product)
    AdEventFactory(
        variant=second, kind="click", customer=customer, occurred_at=at + timedelta(days=1)
    )
    order(customer, product, at + timedelta(days=2))
    assert conversions_of(first)["conversions"] == 0
    assert conversions_of(second)["conversions"] == 1


def test_an_impression_without_a_click_does_not_convert(db):
    product = ProductFactory()
    variant = AdCopyFactory(product=product)
    customer = CustomerFactory()
    at = timezone.now() - timedelta(days=3)
    AdEventFactory(variant=variant, kind="impression", customer=customer, occurred_at=at)
    order(customer, product, at + timedelta(days=1))
    assert conversions_of(variant)["conversions"] == 0


# --- the report -------------------------------------------------------------------------------


def build_report_data():
    """Variant A: 100 impressions, 10 clicks, 2 orders (one of 2 units at 25). Variant B: 50
    impressions, no clicks. Ads arm: 4 customers exposed, 2 bought; holdout: 4, 1 bought."""
    product = ProductFactory(price=Decimal("25.00"))
    campaign = CampaignFactory(holdout_share=Decimal("0.20"))
    a = AdCopyFactory(campaign=campaign, product=product, headline="A")
    b = AdCopyFactory(campaign=campaign, product=product, headline="B")
    at = timezone.now() - timedelta(days=5)
    customers = [CustomerFactory() for _ in range(8)]

    def events(variant, kind, n, customer=None, holdout=False):
        AdEvent.objects.bulk_create(
            [
                AdEvent(
                    kind=kind,
                    placement="product-banner",
                    campaign=campaign,
                    variant=None if holdout else variant,
                    is_holdout=holdout,
                    product=product,
                    customer=customer,
                    session_id="" if customer else "anon",
                    occurred_at=at,
                )
                for _ in range(n)
            ]
        )

    events(a, "impression", 96)
    for customer in customers[:4]:
        events(a, "impression", 1, customer)
    events(a, "click", 8)
    events(a, "click", 1, customers[0])
    events(a, "click", 1, customers[1])
    events(b, "impression", 50)
    for customer in customers[4:]:
        events(None, "impression", 1, customer, holdout=True)
    order(customers[0], product, at + timedelta(days=1))
    order(customers[1], product, at + timedelta(days=2), quantity=2)
    order(customers[4], product, at + timedelta(days=1))
    return campaign, a, b


def test_the_report_counts_per_variant_and_compares_with_the_holdout(db):
    campaign, a, b = build_report_data()
    response = marketer().get(f"/api/v1/marketing/campaigns/{campaign.pk}/report/")
    assert response.status_code == 200
    body = response.json()
    assert body["campaign"] == campaign.pk
    assert body["holdout_share"] == 0.2
    assert body["conversion_window_days"] == 7
    row_a, row_b = body["variants"]
    assert {
        k: row_a[k]
        for k in (
            "variant",
            "impressions",
            "clicks",
            "ctr",
            "conversions",
            "revenue",
            "conversion_rate",
        )
    } == {
        "variant": a.pk,
        "impressions": 100,
        "clicks": 10,
        "ctr": 0.1,
        "conversions": 2,
        "revenue": "75.00",
        "conversion_rate": 0.02,
    }
    assert 0.002 < row_a["conversion_rate_low"] < 0.02 < row_a["conversion_rate_high"] < 0.08
    assert (row_b["impressions"], row_b["clicks"], row_b["ctr"], row_b["conversions"]) == (
        50,
        0,
        0.0,
        0,
    )
    assert row_b["revenue"] == "0.00"
    assert row_a["probability_best"] + row_b["probability_best"] == pytest.approx(1.0, abs=1e-3)
    assert row_a["probability_best"] > row_b["probability_best"]
    holdout = body["holdout"]
    assert {k: v for k, v in holdout.items() if k != "lift"} == {
        "ads_shoppers": 4,
        "ads_converted": 2,
        "ads_conversion_rate": 0.5,
        "holdout_shoppers": 4,
        "holdout_converted": 1,
        "holdout_conversion_rate": 0.25,
    }
    lift = holdout["lift"]
    assert lift["low"] < lift["mean"] < lift["high"]
    assert 0.5 < lift["probability_positive"] < 1


def test_a_campaign_without_data_reports_zeros_and_no_lift(db):
    campaign = CampaignFactory()
    AdCopyFactory(campaign=campaign)
    body = marketer().get(f"/api/v1/marketing/campaigns/{campaign.pk}/report/").json()
    (row,) = body["variants"]
    assert (row["impressions"], row["ctr"], row["conversion_rate"], row["probability_best"]) == (
        0,
        None,
        None,
        None,
    )
    assert (row["conversion_rate_low"], row["conversion_rate_high"]) == (0.025, 0.975)
    assert body["holdout"]["lift"] is None


def test_the_report_runs_a_fixed_number_of_queries(django_assert_num_queries):
    campaign, _a, _b = build_report_data()
    for _ in range(5):
        AdCopyFactory(campaign=campaign)
    client = marketer()
    # session, user, user and group permissions, campaign; variants, counts, conversions, holdout
    with django_assert_num_queries(9):
        assert client.get(f"/api/v1/marketing/campaigns/{campaign.pk}/report/").status_code == 200


def test_who_may_read_the_report(db):
    campaign = CampaignFactory()
    path = f"/api/v1/marketing/campaigns/{campaign.pk}/report/"
    assert APIClient().get(path).status_code == 401
    assert api_key_client(ApiKey.Scope.ADS_READ).get(path).status_code == 403
    support = StaffFactory()
    support.groups.add(Group.objects.get(name="Support agents"))
    assert session_client(support).get(path).status_code == 403
    assert marketer().get(path).status_code == 200
    assert marketer().get("/api/v1/marketing/campaigns/999999999/report/").status_code == 404


def _arm(variant, impressions: int, conversions: int) -> None:
    now = timezone.now()
    AdEvent.objects.bulk_create(
        [
            AdEvent(kind="impression", placement=variant.placement, campaign=variant.campaign,
                    variant=variant, product=variant.product, session_id="s",
                    occurred_at=now - timedelta(days=3))
            for _ in range(impressions)
        ]
    )  # fmt: skip
    for _ in range(conversions):
        customer = CustomerFactory()
        AdEventFactory(variant=variant, kind="click", customer=customer,
                       occurred_at=now - timedelta(days=3))  # fmt: skip
        OrderItemFactory(
            order=OrderFactory(customer=customer, placed_at=now - timedelta(days=2)),
            product=variant.product,
        )


def test_a_clear_winner_is_declared_and_pauses_the_losers_when_enabled(db):
    from marketing import services
    from marketing.tasks import marketing_pause_losers_hourly

    product = ProductFactory()
    strong = AdCopyFactory(product=product, campaign=CampaignFactory(pause_losers=True))
    weak = AdCopyFactory(product=product, campaign=strong.campaign)
    elsewhere = AdCopyFactory(product=product, campaign=strong.campaign, placement="home")
    _arm(strong, 200, 30)
    _arm(weak, 200, 2)
    report = marketer().get(f"/api/v1/marketing/campaigns/{strong.campaign_id}/report/").json()
    assert report["winner"] == strong.pk and report["winner_threshold"] == 0.95
    assert marketing_pause_losers_hourly() == {strong.campaign_id: [weak.pk]}
    weak.refresh_from_db(), strong.refresh_from_db(), elsewhere.refresh_from_db()
    assert (strong.status, weak.status, elsewhere.status) == ("approved", "paused", "approved")
    assert services.campaign_pause_losers(campaign=strong.campaign) == []  # nothing left


def test_no_winner_while_variants_are_close_and_nothing_paused_unless_enabled(db):
    from marketing import services

    product = ProductFactory()
    a = AdCopyFactory(product=product, campaign=CampaignFactory(pause_losers=True))
    b = AdCopyFactory(product=product, campaign=a.campaign)
    _arm(a, 100, 5)
    _arm(b, 100, 4)
    assert selectors.campaign_report(campaign=a.campaign)["winner"] is None
    assert services.campaign_pause_losers(campaign=a.campaign) == []
    c = AdCopyFactory(product=product, campaign=CampaignFactory(pause_losers=False))
    d = AdCopyFactory(product=product, campaign=c.campaign)
    _arm(c, 200, 30)
    _arm(d, 200, 1)
    assert selectors.campaign_report(campaign=c.campaign)["winner"] == c.pk
    assert services.campaign_pause_losers(campaign=c.campaign) == []
    d.refresh_from_db()
    assert d.status == "approved"
