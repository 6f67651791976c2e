"""The variants that fit a product at a placement are cached under the ads' and the catalogue's
versions: a warm ad choice runs no query, and every change to what they depend on shows at
once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketing import services
from marketing.models import AdCopy
from shop.models import ApiKey, Product
from tests.factories.api import api_key_client
from tests.factories.marketing import AdCopyFactory, CampaignFactory
from tests.factories.shop import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

ADS = "/api/v1/ads/product-banner/"


@pytest.fixture
def storefront() -> APIClient:
    return api_key_client(ApiKey.Scope.ADS_READ)


def choose(client: APIClient, product: Product) -> dict:
    response = client.get(ADS, {"product": product.pk, "session": "s1"})
    assert response.status_code == 200
    return response.json()


def test_a_warm_ad_choice_runs_no_query(storefront, django_assert_num_queries):
    product = ProductFactory()
    AdCopyFactory(product=product)
    AdCopyFactory(campaign=CampaignFactory(), product=None)
    expected = choose(storefront, product)  # the variants, arm counts and the key are cached

    with django_assert_num_queries(0):
        served = choose(storefront, product)

    assert served["served"] == expected["served"] == "variant"


def test_an_unknown_product_is_still_an_error_once_cached(storefront):
    product = ProductFactory()
    choose(storefront, product)
    product_id = product.pk
    product.delete()

    response = storefront.get(ADS, {"product": product_id, "session": "s1"})

    assert response.status_code == 400
    assert response.json() == {"product": ["No such product."]}


def test_a_paused_variant_stops_being_served(storefront):
    product = ProductFactory()
    variant = AdCopyFactory(product=product)
    assert choose(storefront, product)["variant"]["id"] == variant.pk

    services.adcopy_set_status(adcopy_ids=[variant.pk], status=AdCopy.Status.PAUSED)

    assert choose(storefront, product)["served"] == "none"


def test_a_newly_approved_variant_is_served(storefront):
    product = ProductFactory()
    variant = AdCopyFactory(product=product, status=AdCopy.Status.DRAFT)
    assert choose(storefront, product)["served"] == "none"

    services.adcopy_approve(adcopy=variant)

    assert choose(storefront, product)["variant"]["id"] == variant.pk


def test_a_retired_variant_stops_being_served(storefront):
    product = ProductFactory()
    variant = AdCopyFactory(product=product)
    assert choose(storefront, product)["served"] == "variant"

    services.adcopy_retire_replaced(adcopy_id=variant.pk)

    assert choose(storefront, product)["served"] == "none"


def test_an_edited_variant_is_served_with_its_new_text(storefront):
    product = ProductFactory()
    variant = AdCopyFactory(product=product, headline="Old")
    assert choose(storefront, product)["variant"]["headline"] == "Old"

    variant.headline = "New"
    variant.save()

    assert choose(storefront, product)["variant"]["headline"] == "New"


def test_a_campaign_that_ended_stops_being_served(storefront):
    product = ProductFactory()
    variant = AdCopyFactory(product=product)
    assert choose(storefront, product)["served"] == "variant"

    campaign = variant.campaign
    campaign.ends_on = timezone.localdate() - timedelta(days=1)
    campaign.save()

    assert choose(storefront, product)["served"] == "none"


def test_changed_target_products_decide_what_is_served(storefront):
    targeted, other = ProductFactory(), ProductFactory()
    campaign = CampaignFactory()
    campaign.target_products.add(targeted)
    AdCopyFactory(campaign=campaign, product=None)
    assert choose(storefront, other)["served"] == "none"

    campaign.target_products.add(other)
    assert choose(storefront, other)["served"] == "variant"

    campaign.target_products.remove(other)
    assert choose(storefront, other)["served"] == "none"


def test_a_product_moved_into_the_target_category_is_served_its_copy(storefront):
    shoes, hats = CategoryFactory(), CategoryFactory()
    product = ProductFactory(category=hats)
    AdCopyFactory(campaign=CampaignFactory(target_category=shoes), product=None)
    assert choose(storefront, product)["served"] == "none"

    product.category = shoes
    product.save()

    assert choose(storefront, product)["served"] == "variant"


def test_a_category_moved_under_the_target_category_brings_its_products(storefront):
    shoes, boots = CategoryFactory(), CategoryFactory()
    product = ProductFactory(category=boots)
    AdCopyFactory(campaign=CampaignFactory(target_category=shoes), product=None)
    assert choose(storefront, product)["served"] == "none"

    boots.parent = shoes
    boots.save()

    assert choose(storefront, product)["served"] == "variant"
