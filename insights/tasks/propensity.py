"""Job kinds of purchase propensity, and their beat entry points.

- `purchase_propensity_train` (gpu queue: a small network, minutes on a CPU): fit the network
  and its logistic-regression baseline on time-split windows, register the version, promote
  it when its test AUC is at least the champion's, then score every customer.
- `purchase_propensity_score` (default queue): score every customer with the champion.

Beat submits a scoring nightly and a retraining weekly, so every run is a recorded Job.
"""

from datetime import date

from rest_framework import serializers

from config.celery import app
from insights.selectors import propensity as selectors
from insights.services import propensity as services
from ml.exceptions import AliasNotSet, BadJobInput
from ml.job_kinds import GPU_QUEUE, JobContext, JobOutcome, job_task


class AsOfParams(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        help_text="Use activity up to the end of this day (later activity is ignored). "
        "Default: today.",
    )


class PropensityTrainParams(AsOfParams):
    horizon_days = serializers.IntegerField(
        min_value=7, max_value=180, default=30, help_text="Predict an order within this many days."
    )
    step_days = serializers.IntegerField(
        min_value=7, max_value=90, default=14, help_text="Days between training windows."
    )
    windows = serializers.IntegerField(
        min_value=3,
        max_value=52,
        default=8,
        help_text="Training windows plus the validation window (the test window is extra).",
    )
    epochs = serializers.IntegerField(min_value=1, max_value=500, default=60)
    hidden = serializers.IntegerField(
        min_value=4, max_value=1024, default=64, help_text="Width of the first hidden layer."
    )
    use_text = serializers.BooleanField(
        default=True,
        help_text="Add the encoder's embeddings of the customer's searches and reviews.",
    )
    promote = serializers.BooleanField(
        default=True, help_text="Promote when its test AUC is at least the champion's."
    )


@job_task(
    kind=selectors.TRAIN_JOB_KIND,
    label="Train the purchase propensity model",
    queue=GPU_QUEUE,
    params_serializer=PropensityTrainParams,
    soft_time_limit=3 * 3600,
    time_limit=3 * 3600 + 300,
)
def purchase_propensity_train(ctx: JobContext) -> JobOutcome:
    """Train, evaluate against the baseline, register; when promoted, score every customer."""
    params = ctx.params
    as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    try:
        outcome = services.propensity_train(
            as_of=as_of,
            use_text=params["use_text"],
            promote=params["promote"],
            training_job_id=ctx.job_id,
            progress=lambda percent, message: ctx.progress(percent * 0.85, message),
            horizon_days=params["horizon_days"],
            step_days=params["step_days"],
            windows=params["windows"],
            net_epochs=params["epochs"],
            net_hidden=(params["hidden"], max(params["hidden"] // 2, 2)),
        )
    except ValueError as exc:  # too little history, or one class only: never retry
        raise BadJobInput(str(exc)) from exc
    scored = 0
    if outcome.promoted:
        scored = services.propensity_score_all(
            as_of=as_of,
            progress=lambda percent, message: ctx.progress(85 + percent * 0.14, message),
        )
    metrics = outcome.version.metrics
    baseline = metrics["models"]["logistic"]["test"]
    neural = metrics["models"]["neural"]["test"]
    return JobOutcome(
        metrics={
            "auc": metrics["auc"],
            "average_precision": metrics["average_precision"],
            "brier": metrics["brier"],
            "neural_auc": neural["auc"],
            "baseline_auc": baseline["auc"],
            "served_family": metrics["served_family"],
        },
        result={
            "version": outcome.version.version,
            "promoted": outcome.promoted,
            "customers_scored": scored,
        },
        model_version=outcome.version,
    )


@job_task(
    kind=selectors.SCORE_JOB_KIND,
    label="Score purchase propensity",
    params_serializer=AsOfParams,
    soft_time_limit=1800,
    time_limit=1900,
)
def purchase_propensity_score(ctx: JobContext) -> JobOutcome:
    """Every customer's probability of ordering within the horizon, with the reasons."""
    as_of = ctx.params.get("as_of")
    try:
        scored = services.propensity_score_all(
            as_of=date.fromisoformat(as_of) if as_of else None, progress=ctx.progress
        )
    except AliasNotSet as exc:
        raise BadJobInput(str(exc)) from exc
    return JobOutcome(metrics={"customers": scored}, result={"customers": scored})


@app.task(name="insights.purchase_propensity_score_nightly")
def purchase_propensity_score_nightly() -> int | None:
    """Beat entry point: rescore with the champion, when there is one."""
    if selectors.propensity_champion() is None:
        return None
    return services.propensity_job_submit(kind=selectors.SCORE_JOB_KIND).pk


@app.task(name="insights.purchase_propensity_train_weekly")
def purchase_propensity_train_weekly() -> int:
    """Beat entry point: retrain (promoting only a model at least as good), which rescores."""
    return services.propensity_job_submit(kind=selectors.TRAIN_JOB_KIND).pk
