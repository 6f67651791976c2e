"""Job kind of sales forecasts, and its nightly beat entry point.

- `sales_forecast` (default queue: statsforecast and numpy on the CPU, seconds for hundreds of
  products): forecasts per product and per category with 80%/95% intervals, from which the
  reorder suggestions are computed on read.

Beat calls `sales_forecast_nightly`, which only submits the job, so every run is a Job.
"""

from datetime import date

from rest_framework import serializers

from config.celery import app
from insights.selectors import forecasts as selectors
from insights.services import forecasts as services
from ml.job_kinds import JobContext, JobOutcome, job_task


class SalesForecastParams(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, help_text="Forecast from the end of this day. Default: today."
    )
    frequency = serializers.ChoiceField(
        choices=[("W", "weekly"), ("D", "daily")], default=services.DEFAULT_FREQUENCY
    )
    horizon = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=104,
        help_text="Periods ahead (default 8 weeks or 28 days).",
    )


@job_task(
    kind=selectors.FORECAST_JOB_KIND,
    label="Forecast sales per product and category",
    params_serializer=SalesForecastParams,
    soft_time_limit=1800,
    time_limit=1900,
)
def sales_forecast(ctx: JobContext) -> JobOutcome:
    """Forecasts with intervals for every product and category that has sold."""
    as_of = ctx.params.get("as_of")
    result = services.sales_forecast_recompute(
        as_of=date.fromisoformat(as_of) if as_of else None,
        frequency=ctx.params.get("frequency", services.DEFAULT_FREQUENCY),
        horizon=ctx.params.get("horizon"),
        job_id=ctx.job_id,
        progress=ctx.progress,
    )
    run = result.run
    return JobOutcome(
        metrics={
            "products": result.products,
            "categories": result.categories,
            **{
                f"cv_scaled_error_{name}": entry["cv_scaled_error"]
                for name, entry in run.model_metrics.items()
                if entry.get("cv_scaled_error") is not None
            },
        },
        result={
            "run_id": run.pk,
            "as_of": run.as_of.isoformat(),
            "models": run.model_metrics,
            "notes": run.notes,
        },
    )


@app.task(name="insights.sales_forecast_nightly")
def sales_forecast_nightly() -> int:
    """Beat entry point: submit the forecast job, so the run is recorded like any other."""
    return services.sales_forecast_submit().pk
