"""Job kind of search insights.

- `search_insights` (default queue: the small base encoder embeds the distinct queries and
  the product texts, seconds for thousands of queries): topics of shoppers' searches, rising
  topics and unmet demand over the last weeks.
"""

from datetime import date

from rest_framework import serializers

from config.celery import app
from insights.search_engine.topics import RisingRule
from insights.selectors import search_insights as selectors
from insights.services import search_insights as services
from ml.job_kinds import JobContext, JobOutcome, job_task


class SearchInsightsParams(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, help_text='The last day of "this week". Default: today.'
    )
    weeks = serializers.IntegerField(required=False, min_value=2, max_value=104, default=8)
    topic_distance = serializers.FloatField(
        required=False,
        min_value=0.05,
        max_value=1.0,
        default=services.TOPIC_DISTANCE,
        help_text="Largest mean cosine distance between the queries of one topic.",
    )
    unmet_threshold = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        default=services.UNMET_THRESHOLD,
        help_text="A query is unmet below this similarity to every product (and without a "
        "product that contains its words).",
    )


@job_task(
    kind=selectors.SEARCH_JOB_KIND,
    label="Analyse shoppers' searches",
    params_serializer=SearchInsightsParams,
    soft_time_limit=1800,
    time_limit=1900,
    description="Groups search queries by meaning into topics, finds rising topics and the "
    "searches no product matches.",
)
def search_insights(ctx: JobContext) -> JobOutcome:
    """Topics, rising topics and unmet demand of the last weeks' searches."""
    params = ctx.params
    as_of = params.get("as_of")
    result = services.search_insights_compute(
        as_of=date.fromisoformat(as_of) if as_of else None,
        weeks=params.get("weeks", services.WEEKS),
        topic_distance=params.get("topic_distance", services.TOPIC_DISTANCE),
        unmet_threshold=params.get("unmet_threshold", services.UNMET_THRESHOLD),
        rule=RisingRule(),
        job_id=ctx.job_id,
        progress=ctx.progress,
    )
    run = result.run
    return JobOutcome(
        metrics={
            "searches": run.searches,
            "distinct_queries": run.distinct_queries,
            "topics": result.topics,
            "rising": result.rising,
            "unmet_groups": result.unmet,
        },
        result={"run_id": run.pk, "as_of": run.as_of.isoformat(), "notes": run.notes},
    )


@app.task(name="insights.search_insights_nightly")
def search_insights_nightly() -> int:
    """Beat entry point: submit the search grouping (or find the queued one)."""
    return services.search_insights_submit().pk
