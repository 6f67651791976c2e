"""Campaign effects measured nightly: a running campaign's lift so far (its days up to
yesterday against as many days before), a recently ended one's final lift, the reason when a
campaign cannot be measured, and the staff home showing the latest measurement."""

from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone

from insights.models import CampaignEffect
from insights.selectors.campaign_effect import campaign_lift
from insights.services.campaign_effect import campaign_effects_recompute
from insights.tasks.campaign_effect import campaign_effects_nightly
from ml.models import Job
from tests.factories.api import StaffFactory
from tests.factories.marketing import CampaignFactory
from tests.factories.shop import CategoryFactory, CustomerFactory, ProductFactory
from tests.insights.api.test_campaign_lift_api import sell
from tests.insights.sentiment_fixtures import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_campaign():
    """Started 5 days ago, ends in 5; its category sells 4 more units per product per day."""
    rng = np.random.default_rng(3)
    customer = CustomerFactory()
    promoted, other = CategoryFactory(name="Promoted"), CategoryFactory(name="Other")
    today = timezone.localdate()
    campaign = CampaignFactory(
        name="Spring linen", starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=5), target_category=promoted,
    )  # fmt: skip
    for _ in range(8):
        for category, uplift in ((promoted, 4), (other, 0)):
            product = ProductFactory(category=category, price=10)
            base = int(rng.integers(3, 8))
            sell(product, campaign.starts_on - timedelta(days=3), base, customer)
            noise = int(rng.integers(0, 2))
            sell(product, campaign.starts_on + timedelta(days=2), base + uplift + noise, customer)
            # Today's sales are not part of a so-far measurement (the day is not over).
            sell(product, today, 50, customer)
    return campaign


def test_a_running_campaigns_lift_so_far_recovers_the_planted_effect(running_campaign):
    lift = campaign_lift(campaign_id=running_campaign.pk, so_far=True)
    today = timezone.localdate()
    assert lift["during"] == (running_campaign.starts_on, today - timedelta(days=1))
    assert lift["before"][0] == running_campaign.starts_on - timedelta(days=5)
    assert lift["units"].low < 4 < lift["units"].high and lift["units"].significant


def test_the_nightly_measurement_writes_one_row_per_campaign_and_day(running_campaign):
    starts_today = CampaignFactory(starts_on=timezone.localdate(), name="Today's")
    untargeted = CampaignFactory(
        starts_on=timezone.localdate() - timedelta(days=2), target_category=None, name="Vague"
    )
    long_ago = CampaignFactory(
        starts_on=timezone.localdate() - timedelta(days=60),
        ends_on=timezone.localdate() - timedelta(days=30),
    )

    assert campaign_effects_recompute() == 2
    assert campaign_effects_recompute() == 2  # the same day again: updated, not duplicated
    effect = CampaignEffect.objects.get(campaign=running_campaign)
    assert effect.as_of == timezone.localdate() - timedelta(days=1) and not effect.final
    assert effect.units_low < 4 < effect.units_high and effect.units_significant
    assert (effect.campaign_products, effect.control_products) == (8, 8)
    vague = CampaignEffect.objects.get(campaign=untargeted)
    assert vague.units_effect is None and "names no products or category" in vague.note
    assert not CampaignEffect.objects.filter(campaign=starts_today).exists()  # no day yet
    assert not CampaignEffect.objects.filter(campaign=long_ago).exists()


def test_the_home_shows_the_latest_lift_of_each_running_campaign(client, running_campaign):
    campaign_effects_recompute()
    client.force_login(StaffFactory(is_superuser=True))
    html = client.get("/admin/insights/home/").content.decode()
    effect = CampaignEffect.objects.get(campaign=running_campaign)
    assert f"+{effect.units_effect:.1f} units per product" in html
    assert "<strong>significant</strong>" in html


def test_the_nightly_entry_submits_one_job_and_the_job_measures(running_campaign):
    first = campaign_effects_nightly()
    assert campaign_effects_nightly() == first
    assert Job.objects.get().kind == "campaign_effects"
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "insights.campaign_effects_nightly" in tasks
