"""Factories of marketing's models."""

from datetime import timedelta

import factory
from django.utils import timezone

from marketing.models import AdCopy, AdEvent, Campaign


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    channel = Campaign.Channel.DISPLAY
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=10))
    holdout_share = 0


class AdCopyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdCopy

    campaign = factory.SubFactory(CampaignFactory)
    product = None
    channel = Campaign.Channel.DISPLAY
    placement = "product-banner"
    headline = factory.Sequence(lambda n: f"Headline {n}")
    body = "Soft and warm."
    call_to_action = "Shop now"
    status = AdCopy.Status.APPROVED
    check_outcome = AdCopy.CheckOutcome.OK


class AdEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdEvent

    kind = AdEvent.Kind.IMPRESSION
    variant = factory.SubFactory(AdCopyFactory)
    campaign = factory.LazyAttribute(lambda event: event.variant.campaign)
    placement = factory.LazyAttribute(lambda event: event.variant.placement)
    product = factory.LazyAttribute(lambda event: event.variant.product)
    is_holdout = False
    customer = None
    session_id = "s-1"
    occurred_at = factory.LazyFunction(timezone.now)
