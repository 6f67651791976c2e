"""Writes of campaign effect: every night, each campaign that ran yesterday (or ended within
the last week) gets its effect as of yesterday, so far or final, for the staff home and the
campaign page (`insights.selectors.campaign_effect` computes it)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from insights.exceptions import CampaignLiftUnavailable
from insights.models import CampaignEffect
from insights.selectors import campaign_effect as selectors
from marketing import selectors as marketing_selectors
from ml import services as ml_services
from ml.models import Job

JOB_KIND = "campaign_effects"
#: Ended campaigns are measured again for this many days (late orders, returns).
ENDED_WITHIN_DAYS = 7


@transaction.atomic
def campaign_effects_recompute(*, today: date | None = None) -> int:
    """Upsert one CampaignEffect per campaign that ran on a day in the last ENDED_WITHIN_DAYS
    days, as of yesterday. Returns how many were written."""
    today = today or timezone.localdate()
    as_of = today - timedelta(days=1)
    campaigns = marketing_selectors.campaign_list_overlapping(
        start=today - timedelta(days=ENDED_WITHIN_DAYS), end=as_of
    )
    now = timezone.now()
    written = 0
    for campaign in campaigns:
        values = {"final": campaign.ends_on < today, "computed_at": now, "note": ""}
        try:
            lift = selectors.campaign_lift(campaign_id=campaign.pk, today=today, so_far=True)
        except CampaignLiftUnavailable as exc:
            values.update(
                campaign_products=0,
                control_products=0,
                **dict.fromkeys(("units_effect", "units_low", "units_high"), None),
                **dict.fromkeys(("revenue_effect", "revenue_low", "revenue_high"), None),
                note=str(exc),
            )
        else:
            units, revenue = lift["units"], lift["revenue"]
            values.update(
                campaign_products=units.treated,
                control_products=units.control,
                units_effect=units.effect,
                units_low=units.low,
                units_high=units.high,
                revenue_effect=revenue.effect,
                revenue_low=revenue.low,
                revenue_high=revenue.high,
            )
        CampaignEffect.objects.update_or_create(campaign=campaign, as_of=as_of, defaults=values)
        written += 1
    return written


def campaign_effects_submit(*, user=None) -> Job:
    queued = (
        Job.objects.filter(kind=JOB_KIND, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .order_by("-created_at")
        .first()
    )
    return queued or ml_services.job_submit(kind=JOB_KIND, created_by=user)
