"""Job kind of campaign effects, and its nightly beat entry point.

- `campaign_effects` (default queue: a few queries and a t-test per campaign): the effect so
  far of each running campaign, and the final one of those that ended in the last week.
"""

from datetime import date

from rest_framework import serializers

from config.celery import app
from insights.services import campaign_effect as services
from ml.job_kinds import JobContext, JobOutcome, job_task


class CampaignEffectsParams(serializers.Serializer):
    today = serializers.DateField(
        required=False, help_text="Measure as of the day before this one. Default: today."
    )


@job_task(
    kind=services.JOB_KIND,
    label="Measure campaign effects",
    params_serializer=CampaignEffectsParams,
    soft_time_limit=1800,
    time_limit=1900,
)
def campaign_effects(ctx: JobContext) -> JobOutcome:
    """Incremental units and revenue of the running and recently ended campaigns."""
    today = ctx.params.get("today")
    written = services.campaign_effects_recompute(
        today=date.fromisoformat(today) if today else None
    )
    return JobOutcome(metrics={"campaigns": written}, result={"campaigns": written})


@app.task(name="insights.campaign_effects_nightly")
def campaign_effects_nightly() -> int:
    """Beat entry point: submit the measurement, so the run is recorded like any other."""
    return services.campaign_effects_submit().pk
