"""Job kind of customer segments and value, and its nightly beat entry point.

- `customer_scores` (default queue: numpy and scipy on the CPU, seconds for thousands of
  customers): RFM scores, segments, churn risk and lifetime value of every customer.

Beat calls `customer_scores_nightly`, which only submits the job, so every run is a recorded
Job.
"""

from datetime import date

from rest_framework import serializers

from config.celery import app
from insights.selectors import customers as selectors
from insights.services import customers as services
from ml.job_kinds import JobContext, JobOutcome, job_task


class CustomerScoresParams(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        help_text="Score as of the end of this day (orders placed later are ignored). "
        "Default: today.",
    )


@job_task(
    kind=selectors.SCORE_JOB_KIND,
    label="Recompute customer segments and value",
    params_serializer=CustomerScoresParams,
    soft_time_limit=1800,
    time_limit=1900,
)
def customer_scores(ctx: JobContext) -> JobOutcome:
    """RFM segments, churn risk and expected lifetime value of every customer."""
    as_of = ctx.params.get("as_of")
    result = services.customer_scores_recompute(
        as_of=date.fromisoformat(as_of) if as_of else None,
        job_id=ctx.job_id,
        progress=ctx.progress,
    )
    run = result.run
    return JobOutcome(
        metrics={
            "customers": result.scored,
            "removed": result.removed,
            "bg_nbd_converged": run.bg_nbd_converged,
            "bg_nbd_log_likelihood": run.bg_nbd_log_likelihood,
        },
        result={
            "run_id": run.pk,
            "as_of": run.as_of.isoformat(),
            "segments": result.segments,
            "bg_nbd": run.bg_nbd_params,
            "gamma_gamma": run.gamma_gamma_params,
            "notes": run.notes,
        },
    )


@app.task(name="insights.customer_scores_nightly")
def customer_scores_nightly() -> int:
    """Beat entry point: submit the recompute, so the run is recorded like any other."""
    return services.customer_scores_submit().pk
