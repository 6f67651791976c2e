"""Job kinds of aspects, alerts and summaries, and their nightly beat entry points.

- `aspects_extract` (gpu queue): aspect opinions of pending reviews, all reviews, or given ids.
- `sentiment_alerts_check` (default queue): raise alerts on rises in negative opinions.
- `review_summaries` (gpu queue): rebuild the summaries of products that need it.

Beat calls the `*_nightly` tasks, which only submit the job, so every run is a recorded Job.
"""

from rest_framework import serializers

from config.celery import app
from insights.aspect_engine.alerts import AlertRule
from insights.services import aspects as services
from ml.job_kinds import GPU_QUEUE, JobContext, JobOutcome, job_task
from ml.services import job_submit

_RULE = AlertRule()


class AspectsExtractParams(serializers.Serializer):
    review_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=100_000,
        help_text="Only these reviews (their mentions are replaced). Default: pending reviews.",
    )
    rebuild = serializers.BooleanField(
        default=False,
        help_text="Re-extract every review (after editing aspects or promoting a new "
        "sentiment model).",
    )

    def validate(self, attrs):
        if attrs.get("review_ids") and attrs.get("rebuild"):
            raise serializers.ValidationError("Give review_ids or rebuild, not both.")
        return attrs


class AlertsCheckParams(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, help_text="Last day of the recent window (default: today)."
    )
    recent_weeks = serializers.IntegerField(min_value=1, max_value=26, default=_RULE.recent_weeks)
    baseline_weeks = serializers.IntegerField(
        min_value=1, max_value=156, default=_RULE.baseline_weeks
    )
    alpha = serializers.FloatField(min_value=1e-6, max_value=0.2, default=_RULE.alpha)
    min_recent_total = serializers.IntegerField(
        min_value=1, max_value=100_000, default=_RULE.min_recent_total
    )
    min_baseline_total = serializers.IntegerField(
        min_value=1, max_value=100_000, default=_RULE.min_baseline_total
    )
    min_rise = serializers.FloatField(min_value=0.0, max_value=0.99, default=_RULE.min_rise)


class ReviewSummariesParams(serializers.Serializer):
    product_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=10_000,
        help_text="Only these products. Default: every product whose summary is missing or stale.",
    )
    force = serializers.BooleanField(
        default=False, help_text="Rebuild the given products even if their summary is fresh."
    )
    use_generator = serializers.BooleanField(
        default=True, help_text="Phrase points with the generator (else quote the evidence)."
    )
    min_new_reviews = serializers.IntegerField(min_value=1, max_value=100_000, default=10)
    min_growth = serializers.FloatField(min_value=0.01, max_value=10.0, default=0.2)
    max_products = serializers.IntegerField(min_value=1, max_value=10_000, default=100)

    def validate(self, attrs):
        if attrs.get("force") and not attrs.get("product_ids"):
            raise serializers.ValidationError({"force": "force needs product_ids."})
        return attrs


@job_task(
    kind="aspects_extract",
    label="Extract review aspects",
    queue=GPU_QUEUE,
    params_serializer=AspectsExtractParams,
    soft_time_limit=4 * 3600,
    time_limit=4 * 3600 + 300,
    description="Finds what each review says about fit, quality, delivery... and with which "
    "sentiment, sentence by sentence.",
)
def aspects_extract(ctx: JobContext) -> JobOutcome:
    """Extract the aspect opinions of reviews."""
    params = ctx.params
    result = services.aspect_mentions_extract(
        review_ids=params.get("review_ids"),
        rebuild=bool(params.get("rebuild")),
        progress=ctx.progress,
    )
    metrics = {key: result[key] for key in ("reviews", "units", "mentions")}
    return JobOutcome(metrics=metrics, result=result)


@job_task(
    kind="sentiment_alerts_check",
    label="Check for sentiment alerts",
    params_serializer=AlertsCheckParams,
    soft_time_limit=1800,
    time_limit=1900,
    description="Raises an alert where negative opinions on a product or one of its aspects "
    "rose significantly above their own history.",
)
def sentiment_alerts_check(ctx: JobContext) -> JobOutcome:
    """Check every product and product-aspect for a rise in negative opinions."""
    from datetime import date

    params = dict(ctx.params)
    as_of = date.fromisoformat(params.pop("as_of")) if params.get("as_of") else None
    result = services.sentiment_alerts_check(
        as_of=as_of, rule=AlertRule.from_params(params), progress=ctx.progress
    )
    metrics = {key: result[key] for key in ("series", "tested", "alerts_created", "alerts_updated")}
    return JobOutcome(metrics=metrics, result=result)


@job_task(
    kind="review_summaries",
    label="Build review summaries",
    queue=GPU_QUEUE,
    params_serializer=ReviewSummariesParams,
    soft_time_limit=4 * 3600,
    time_limit=4 * 3600 + 300,
    description="Pros and cons per product from the aspect evidence, phrased by the generator "
    "and checked against that evidence.",
)
def review_summaries(ctx: JobContext) -> JobOutcome:
    """Rebuild the review summaries of products that need one."""
    params = ctx.params
    result = services.review_summaries_build(
        product_ids=params.get("product_ids"),
        force=bool(params.get("force")),
        use_generator=params.get("use_generator", True),
        min_new_reviews=params.get("min_new_reviews", 10),
        min_growth=params.get("min_growth", 0.2),
        max_products=params.get("max_products", 100),
        progress=ctx.progress,
    )
    metrics = {key: result[key] for key in ("products", "points", "generated_points")}
    return JobOutcome(metrics=metrics, result=result)


@app.task(name="insights.aspects_extract_nightly")
def aspects_extract_nightly() -> int:
    """Beat entry point: extract the aspects of reviews that arrived since the last run."""
    return job_submit(kind="aspects_extract").pk


@app.task(name="insights.sentiment_alerts_check_nightly")
def sentiment_alerts_check_nightly() -> int:
    """Beat entry point: submit the alert check, so the run is recorded like any other."""
    return job_submit(kind="sentiment_alerts_check").pk


@app.task(name="insights.review_summaries_nightly")
def review_summaries_nightly() -> int:
    """Beat entry point: rebuild stale review summaries."""
    return job_submit(kind="review_summaries").pk
