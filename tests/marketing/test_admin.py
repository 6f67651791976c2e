"""Marketing in the admin: the checks on written copy, the approve / pause / retire actions,
the campaign report on the campaign page, the seeded channel limits, the staff groups."""

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.urls import reverse

from marketing import services
from marketing.models import AdCopy, BrandVoice, ChannelLimit
from tests.factories.api import StaffFactory
from tests.factories.marketing import AdCopyFactory, AdEventFactory, CampaignFactory
from tests.factories.shop import ProductFactory

pytestmark = pytest.mark.django_db


def staff_in(group: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def marketer_client(client):
    client.force_login(staff_in("Marketers"))
    return client


def test_default_channel_limits_are_seeded():
    limits = {
        row.channel: (row.headline_max, row.body_max, row.call_to_action_max)
        for row in ChannelLimit.objects.all()
    }
    assert limits["search"][:2] == (30, 90)
    assert limits["email"][0] == 60
    assert limits["social"][1] == 280
    assert set(limits) == {"search", "email", "social", "display"}


def test_marketers_edit_copy_and_others_only_view():
    marketer = staff_in("Marketers")
    assert marketer.has_perms(
        [
            "marketing.add_adcopy",
            "marketing.change_adcopy",
            "marketing.view_adcopy",
            "marketing.add_brandvoice",
            "marketing.change_brandvoice",
            "marketing.view_channellimit",
            "marketing.change_channellimit",
            "marketing.view_adevent",
            "marketing.change_campaign",
        ]
    )
    assert not marketer.has_perm("marketing.delete_adcopy")
    # The channels are a fixed, seeded set: their limits change, they are never added.
    assert not marketer.has_perm("marketing.add_channellimit")
    assert not marketer.has_perm("marketing.delete_channellimit")
    for group in ("Store staff", "Data scientists"):
        user = staff_in(group)
        assert user.has_perms(["marketing.view_adcopy", "marketing.view_adevent"])
        assert not user.has_perm("marketing.change_adcopy")
    support = staff_in("Support agents")
    assert not any(p.startswith("marketing.") for p in support.get_all_permissions())


def test_copy_a_marketer_writes_is_checked_and_a_rejected_one_stays_a_draft(marketer_client):
    product = ProductFactory(title="Rain jacket")
    campaign = CampaignFactory()
    response = marketer_client.post(
        reverse("admin:marketing_adcopy_add"),
        {
            "campaign": campaign.pk,
            "product": product.pk,
            "channel": "search",
            "placement": "search-top",
            "tone": "",
            "headline": "50% off the rain jacket",
            "body": "",
            "call_to_action": "Shop now",
        },
        follow=True,
    )
    assert response.status_code == 200
    adcopy = AdCopy.objects.get()
    assert adcopy.check_outcome == AdCopy.CheckOutcome.REJECTED
    assert adcopy.status == AdCopy.Status.DRAFT
    assert '"50%"' in adcopy.rejection_reason
    assert adcopy.source == AdCopy.Source.WRITTEN
    assert adcopy.created_by is not None
    assert "The checks rejected this variant" in response.content.decode()


def test_written_copy_over_the_channel_limit_is_rejected_not_trimmed():
    adcopy = AdCopyFactory.build(
        campaign=CampaignFactory(),
        channel="search",
        headline="A headline that is much longer than thirty characters",
        status=AdCopy.Status.DRAFT,
        check_outcome=AdCopy.CheckOutcome.UNCHECKED,
    )
    result = services.adcopy_check_and_save(adcopy=adcopy)
    assert result.outcome == "rejected"
    adcopy.refresh_from_db()
    assert adcopy.headline == "A headline that is much longer than thirty characters"
    assert adcopy.check_results["reasons"][0]["code"] == "length"


def test_the_brand_voices_words_to_avoid_apply():
    BrandVoice.objects.create(name="House", is_active=True, words_to_avoid=["cheap"])
    adcopy = AdCopyFactory.build(campaign=CampaignFactory(), headline="Cheap and cheerful")
    assert services.adcopy_check_and_save(adcopy=adcopy).outcome == "rejected"


def test_approve_action_refuses_rejected_variants(marketer_client):
    fine = AdCopyFactory(status=AdCopy.Status.DRAFT)
    rejected = AdCopyFactory(
        status=AdCopy.Status.DRAFT,
        check_outcome=AdCopy.CheckOutcome.REJECTED,
        rejection_reason="Headline says 50%.",
    )
    response = marketer_client.post(
        reverse("admin:marketing_adcopy_changelist"),
        {"action": "approve", "_selected_action": [fine.pk, rejected.pk]},
        follow=True,
    )
    fine.refresh_from_db()
    rejected.refresh_from_db()
    assert fine.status == AdCopy.Status.APPROVED
    assert rejected.status == AdCopy.Status.DRAFT
    assert "Headline says 50%." in response.content.decode()


@pytest.mark.parametrize(("action", "status"), [("pause", "paused"), ("retire", "retired")])
def test_pause_and_retire_actions(marketer_client, action, status):
    variant = AdCopyFactory()
    marketer_client.post(
        reverse("admin:marketing_adcopy_changelist"),
        {"action": action, "_selected_action": [variant.pk]},
    )
    variant.refresh_from_db()
    assert variant.status == status


def test_viewers_cannot_run_the_actions(client):
    client.force_login(staff_in("Store staff"))
    variant = AdCopyFactory(status=AdCopy.Status.DRAFT)
    client.post(
        reverse("admin:marketing_adcopy_changelist"),
        {"action": "approve", "_selected_action": [variant.pk]},
    )
    variant.refresh_from_db()
    assert variant.status == AdCopy.Status.DRAFT


def test_the_variant_page_shows_check_results(marketer_client):
    variant = AdCopyFactory(
        check_outcome=AdCopy.CheckOutcome.REJECTED,
        status=AdCopy.Status.DRAFT,
        check_results={
            "outcome": "rejected",
            "reasons": [{"code": "length", "field": "headline", "message": "Too long by far."}],
            "repairs": [],
        },
    )
    page = marketer_client.get(reverse("admin:marketing_adcopy_change", args=[variant.pk]))
    assert page.status_code == 200
    assert "Too long by far." in page.content.decode()


def test_the_changelist_filters_by_campaign_status_and_channel(marketer_client):
    variant = AdCopyFactory()
    url = reverse("admin:marketing_adcopy_changelist")
    page = marketer_client.get(
        url,
        {
            "campaign__id__exact": variant.campaign_id,
            "status__exact": "approved",
            "channel__exact": "display",
        },
    )
    assert page.status_code == 200
    assert variant.headline in page.content.decode()


def test_the_campaign_page_shows_the_variant_report(marketer_client):
    variant = AdCopyFactory(headline="Stay dry")
    AdEventFactory(variant=variant)
    AdEventFactory(variant=variant, kind="click")
    page = marketer_client.get(
        reverse("admin:marketing_campaign_change", args=[variant.campaign_id])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Variant test report" in html
    assert "<td>Stay dry</td><td>approved</td><td>product-banner</td>" in html
    assert "<td>1</td><td>1</td><td>1.0</td>" in html


def test_a_rejected_variant_cannot_be_approved_in_the_database():
    with pytest.raises(IntegrityError):
        AdCopyFactory(status=AdCopy.Status.APPROVED, check_outcome=AdCopy.CheckOutcome.REJECTED)


def test_only_one_brand_voice_is_active():
    BrandVoice.objects.create(name="One", is_active=True)
    with pytest.raises(IntegrityError):
        BrandVoice.objects.create(name="Two", is_active=True)


def test_a_marketer_changes_a_channel_limit_and_it_applies_to_written_copy(marketer_client):
    limit = ChannelLimit.objects.get(channel="display")
    response = marketer_client.post(
        reverse("admin:marketing_channellimit_change", args=[limit.pk]),
        {"channel": "display", "headline_max": 12, "body_max": 90, "call_to_action_max": 20},
    )
    assert response.status_code == 302
    limit.refresh_from_db()
    assert limit.headline_max == 12
    variant = AdCopyFactory(headline="Soft merino for winter", status=AdCopy.Status.DRAFT)
    result = services.adcopy_check_and_save(adcopy=variant)
    assert result.outcome == "rejected"
    assert [reason.code for reason in result.reasons] == ["length"]


def test_store_staff_cannot_change_a_channel_limit(client):
    client.force_login(staff_in("Store staff"))
    limit = ChannelLimit.objects.get(channel="display")
    response = client.post(
        reverse("admin:marketing_channellimit_change", args=[limit.pk]),
        {"channel": "display", "headline_max": 12, "body_max": 90, "call_to_action_max": 20},
    )
    assert response.status_code == 403
    limit.refresh_from_db()
    assert limit.headline_max == 30
