"""The demo copy of `make run`: checked written variants approved, one generation queued."""

import pytest
from django.core.management import call_command

from marketing.models import AdCopy, BrandVoice
from ml.models import Job
from tests.factories.marketing import CampaignFactory
from tests.factories.shop import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_demo_copy_is_checked_approved_and_one_generation_is_queued():
    category = CategoryFactory(name="Knitwear")
    for i in range(4):
        ProductFactory(category=category, title=f"Merino jumper {i}", stock=5 + i,
                       attributes={"colour": "navy"})  # fmt: skip
    campaign = CampaignFactory(target_category=category, discount_percent=20, channel="email")
    call_command("marketing_demo")
    voice = BrandVoice.objects.get(is_active=True)
    assert "cheap" in voice.words_to_avoid
    variants = AdCopy.objects.filter(campaign=campaign)
    assert variants.count() == 12  # 4 products (all the campaign has) x 3 variants
    assert all(v.check_outcome in ("ok", "repaired") for v in variants)
    assert all(v.status == AdCopy.Status.APPROVED for v in variants)
    assert variants.filter(headline="20% off knitwear").count() == 8
    job = Job.objects.get(kind="adcopy_generate")
    assert job.params["campaign"] == campaign.pk and job.params["variants"] == 3

    call_command("marketing_demo")  # again: nothing more
    assert AdCopy.objects.count() == 12
    assert Job.objects.filter(kind="adcopy_generate").count() == 1
    assert BrandVoice.objects.count() == 1
