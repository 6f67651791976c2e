"""Campaign lift endpoint: a planted uplift in a campaign's category is recovered with an
interval that excludes zero; unfinished or unknown campaigns get readable errors."""

from datetime import datetime, time, timedelta

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from tests.factories.api import StaffFactory, session_client
from tests.factories.marketing import CampaignFactory
from tests.factories.shop import (
    CategoryFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db


def lift_url(campaign_id: int) -> str:
    return f"/api/v1/insights/campaigns/{campaign_id}/lift/"


@pytest.fixture
def client():
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Marketers"))
    return session_client(user)


def sell(product, day, units, customer):
    placed = timezone.make_aware(datetime.combine(day, time(12)))
    OrderItemFactory(
        order=OrderFactory(customer=customer, placed_at=placed), product=product, quantity=units
    )


def test_a_planted_uplift_in_the_campaign_category_is_recovered(client):
    rng = np.random.default_rng(5)
    customer = CustomerFactory()
    promoted, other = CategoryFactory(name="Promoted"), CategoryFactory(name="Other")
    today = timezone.localdate()
    campaign = CampaignFactory(
        starts_on=today - timedelta(days=14),
        ends_on=today - timedelta(days=8),
        target_category=promoted,
    )
    before_day = campaign.starts_on - timedelta(days=3)
    during_day = campaign.starts_on + timedelta(days=3)
    for _ in range(12):
        for category, uplift in ((promoted, 6), (other, 0)):
            product = ProductFactory(category=category, price=10)
            base = int(rng.integers(5, 15))
            sell(product, before_day, base + int(rng.integers(0, 3)), customer)
            # Everyone sells 2 more during the campaign week; the campaign adds 6.
            sell(product, during_day, base + 2 + uplift + int(rng.integers(0, 3)), customer)

    response = client.get(lift_url(campaign.pk))

    assert response.status_code == 200
    body = response.json()
    assert (body["campaign_products"], body["control_products"]) == (12, 12)
    units = body["units"]
    assert units["low"] < 6 < units["high"] and units["significant"]
    assert units["incremental_total"] == pytest.approx(units["effect"] * 12)
    assert body["revenue"]["effect"] == pytest.approx(units["effect"] * 10, rel=0.01)
    assert body["during_end"] == campaign.ends_on.isoformat()


def test_a_running_campaign_is_a_409(client):
    campaign = CampaignFactory()  # ends in ten days
    response = client.get(lift_url(campaign.pk))
    assert response.status_code == 409
    assert "campaign_lift_unavailable" in str(response.json())


def test_an_unknown_campaign_is_a_404(client):
    response = client.get(lift_url(999999))
    assert response.status_code == 404
    assert "campaign_not_found" in str(response.json())


def test_a_campaign_without_enough_products_is_a_409(client):
    today = timezone.localdate()
    campaign = CampaignFactory(
        starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=2)
    )
    response = client.get(lift_url(campaign.pk))
    assert response.status_code == 409


def test_support_agents_are_refused():
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Support agents"))
    assert session_client(user).get(lift_url(1)).status_code == 403
