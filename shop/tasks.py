"""Job kinds of the store."""

from config.celery import app
from ml.job_kinds import JobContext, JobOutcome, job_task
from ml.services import job_submit
from shop.services import product_rating_aggregates_recompute


@job_task(
    kind="rating_aggregates",
    label="Recompute product rating aggregates",
    description="Recounts each product's reviews and average rating.",
    soft_time_limit=600,
    time_limit=660,
)
def rating_aggregates(ctx: JobContext) -> JobOutcome:
    """Recompute each product's review count and average rating."""
    updated = product_rating_aggregates_recompute(progress=ctx.progress)
    return JobOutcome(metrics={"products_updated": updated})


@app.task(name="shop.recompute_rating_aggregates_nightly")
def recompute_rating_aggregates_nightly() -> int:
    """Beat entry point: submit the job so the run is recorded like any other."""
    return job_submit(kind="rating_aggregates").pk
