"""The campaign page shows the campaign's effect: the lift with its intervals and the daily
chart behind it (JSON endpoint), or why it cannot be measured yet."""

from datetime import timedelta

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from tests.factories.api import StaffFactory
from tests.factories.marketing import CampaignFactory
from tests.factories.shop import CategoryFactory, CustomerFactory, ProductFactory
from tests.insights.api.test_campaign_lift_api import sell
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(client):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="Marketers"))
    client.force_login(user)
    return client


@pytest.fixture
def finished_campaign():
    rng = np.random.default_rng(1)
    customer = CustomerFactory()
    promoted, other = CategoryFactory(name="Promoted"), CategoryFactory(name="Other")
    today = timezone.localdate()
    campaign = CampaignFactory(
        starts_on=today - timedelta(days=14), ends_on=today - timedelta(days=8),
        target_category=promoted,
    )  # fmt: skip
    for _ in range(6):
        for category, uplift in ((promoted, 5), (other, 0)):
            product = ProductFactory(category=category, price=10)
            base = int(rng.integers(4, 9))
            sell(product, campaign.starts_on - timedelta(days=2), base, customer)
            noise = int(rng.integers(0, 3))
            sell(product, campaign.starts_on + timedelta(days=2), base + uplift + noise, customer)
    return campaign


def test_the_campaign_page_shows_the_lift_and_its_chart(marketer, finished_campaign):
    url = reverse("admin:marketing_campaign_change", args=[finished_campaign.pk])
    response = marketer.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Campaign effect" in body and "Incremental units" in body
    assert "The effect on units is significant at 95%." in body
    lift = response.context["lift"]
    assert lift["units"].low < 5 < lift["units"].high

    chart = marketer.get(lift["chart"]["url"]).json()
    days = chart["labels"]
    assert len(days) == 14 and days[7].endswith(" *") and not days[6].endswith(" *")
    campaign_units = dict(zip(days, chart["series"][0]["data"], strict=True))
    other_units = dict(zip(days, chart["series"][1]["data"], strict=True))
    during = (finished_campaign.starts_on + timedelta(days=2)).isoformat() + " *"
    # Per product that day: the campaign's products sold 5 more each than the others.
    assert campaign_units[during] - other_units[during] == pytest.approx(5, abs=2.5)


def test_a_running_campaign_says_why_there_is_no_effect_yet(marketer):
    campaign = CampaignFactory()
    response = marketer.get(reverse("admin:marketing_campaign_change", args=[campaign.pk]))
    assert "its effect is measured once it has ended" in response.content.decode()
    chart = marketer.get(reverse("insights:campaign-lift-chart", args=[campaign.pk]))
    assert chart.status_code == 409
    missing = marketer.get(reverse("insights:campaign-lift-chart", args=[999999]))
    assert missing.status_code == 404
