"""Job kind of price suggestions.

- `price_suggestions` (default queue: numpy least squares on the CPU, seconds for thousands of
  products): estimates price elasticities from the weekly prices paid and units sold and
  proposes guard-railed prices. It only proposes: a person approves each price change.

Beat calls `price_suggestions_weekly` on Monday mornings, when a whole new week of sales is in;
it only submits the job, so every run is a Job.
"""

from datetime import date

from django.conf import settings
from rest_framework import serializers

from config.celery import app
from insights.selectors import pricing as selectors
from insights.services import pricing as services
from ml.job_kinds import JobContext, JobOutcome, job_task


class PriceSuggestionsParams(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, help_text="Read whole weeks of sales up to this day. Default: today."
    )
    weeks = serializers.IntegerField(
        required=False,
        min_value=services.MIN_WEEKS,
        max_value=260,
        help_text="Weeks of history (default INSIGHTS_PRICE_HISTORY_WEEKS).",
    )
    max_change = serializers.FloatField(
        required=False,
        min_value=0.01,
        max_value=0.5,
        help_text="Largest price change proposed, as a share (default INSIGHTS_PRICE_MAX_CHANGE).",
    )
    margin_floor = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=0.9,
        help_text="Smallest margin a proposed price keeps (default INSIGHTS_PRICE_MARGIN_FLOOR).",
    )


@job_task(
    kind=selectors.PRICE_JOB_KIND,
    label="Propose prices from price elasticity",
    params_serializer=PriceSuggestionsParams,
    soft_time_limit=900,
    time_limit=960,
)
def price_suggestions(ctx: JobContext) -> JobOutcome:
    """Elasticities and guard-railed price proposals; changes no price."""
    as_of = ctx.params.get("as_of")
    run = services.price_suggestions_recompute(
        as_of=date.fromisoformat(as_of) if as_of else None,
        weeks=ctx.params.get("weeks"),
        max_change=ctx.params.get("max_change"),
        margin_floor=ctx.params.get("margin_floor"),
        job_id=ctx.job_id,
        progress=ctx.progress,
    )
    return JobOutcome(
        metrics={
            "products_sold": run.products_sold,
            "proposed": run.proposed,
            "replaced": run.replaced,
            **{f"skipped: {reason}": len(ids) for reason, ids in run.skipped.items()},
        },
        result={
            "as_of": run.as_of.isoformat(),
            "weeks": run.weeks,
            "max_change": ctx.params.get("max_change", settings.INSIGHTS_PRICE_MAX_CHANGE),
            "margin_floor": ctx.params.get("margin_floor", settings.INSIGHTS_PRICE_MARGIN_FLOOR),
            "summary": run.summary(),
            "skipped": run.skipped,
        },
    )


@app.task(name="insights.price_suggestions_weekly")
def price_suggestions_weekly() -> int:
    """Beat entry point: submit the recompute, so the run is recorded like any other."""
    return services.price_suggestions_submit().pk
