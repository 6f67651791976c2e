"""Job kinds of recommendations: train a bundle (gpu queue) and refresh the personal lists."""

from rest_framework import serializers

from config.celery import app
from ml.exceptions import BadJobInput
from ml.job_kinds import GPU_QUEUE, JobContext, JobOutcome, job_task
from ml.services import job_submit
from recommendations import selectors, services


class RecsTrainParams(serializers.Serializer):
    epochs = serializers.IntegerField(
        min_value=1, max_value=1000, default=200, help_text="Most passes over the sequences."
    )
    max_train_minutes = serializers.FloatField(
        min_value=0.1,
        max_value=24 * 60,
        default=20.0,
        help_text="Stop the sequential model after this long (the best epoch is kept).",
    )
    patience = serializers.IntegerField(
        min_value=1,
        max_value=100,
        default=5,
        help_text="Epochs without a better validation NDCG@10 before stopping.",
    )
    hidden = serializers.IntegerField(min_value=8, max_value=1024, default=64)
    use_content = serializers.BooleanField(
        default=True,
        help_text="Embed product texts with the encoder (content similarity, cold start, and "
        "the sequential model's initial item vectors).",
    )
    promote = serializers.BooleanField(
        default=True,
        help_text="Promote when the sequential model's NDCG@10 is at least the champion's.",
    )


@job_task(
    kind=selectors.TRAIN_JOB_KIND,
    label="Train the recommenders",
    queue=GPU_QUEUE,
    params_serializer=RecsTrainParams,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 300,
)
def recommendations_train(ctx: JobContext) -> JobOutcome:
    """Fit every recommender on the store's behaviour, evaluate, register; when promoted,
    precompute the personal lists with the new champion."""
    params = ctx.params
    sequential = {
        "epochs": params["epochs"],
        "max_train_seconds": params["max_train_minutes"] * 60,
        "patience": params["patience"],
        "hidden": params["hidden"],
    }
    try:
        version, promoted = services.recs_train(
            sequential=sequential,
            use_content=params["use_content"],
            promote=params["promote"],
            training_job_id=ctx.job_id,
            progress=lambda percent, message: ctx.progress(percent * 0.9, message),
        )
    except ValueError as exc:  # nothing to learn from, or bad settings: never retry
        raise BadJobInput(str(exc)) from exc
    lists = 0
    if promoted:
        lists = services.personal_lists_recompute(
            progress=lambda percent, message: ctx.progress(90 + percent * 0.09, message)
        )
    models = version.metrics.get("models", {})
    return JobOutcome(
        metrics={
            f"{name}_ndcg@10": models[name].get("ndcg@10")
            for name in ("sequential", "also_viewed", "popularity")
            if name in models
        },
        result={"version": version.version, "promoted": promoted, "personal_lists": lists},
        model_version=version,
    )


class RecsListsParams(serializers.Serializer):
    only_changed = serializers.BooleanField(
        default=False,
        help_text="Recompute only the lists whose customer's history changed since (or that "
        "another version made); the hourly refresh does this.",
    )


@job_task(
    kind=selectors.LISTS_JOB_KIND,
    label="Refresh personal recommendation lists",
    params_serializer=RecsListsParams,
)
def recommendations_lists(ctx: JobContext) -> JobOutcome:
    """Recompute the customers' "for you" lists with the champion bundle: all of them, or
    with `only_changed` those whose history changed."""
    from ml.exceptions import AliasNotSet

    only_changed = ctx.params.get("only_changed", False)
    try:
        written = services.personal_lists_recompute(
            progress=ctx.progress, only_changed=only_changed
        )
    except AliasNotSet as exc:
        raise BadJobInput("No recommendations champion yet: train and promote one first.") from exc
    return JobOutcome(
        metrics={"personal_lists": written},
        result={"personal_lists": written, "only_changed": only_changed},
    )


@app.task(name="recommendations.train_nightly")
def recommendations_train_nightly() -> int:
    """Beat entry point: retrain (promoting only a better model), which refreshes the lists."""
    return job_submit(kind=selectors.TRAIN_JOB_KIND).pk


@app.task(name="recommendations.lists_hourly")
def recommendations_lists_hourly() -> int | None:
    """Beat entry point: refresh the lists of the customers whose history changed, so new
    behaviour shows within the hour.

    Not while a refresh (or a training, which ends with one) is still queued or running: on
    a store of a million customers a refresh takes more than an hour, and the hourly jobs
    would pile up. Returns the job that will refresh the lists (None: no champion yet)."""
    from ml.selectors import alias_get

    if alias_get(task=services.RECS_TASK) is None:
        return None
    pending = selectors.lists_job_pending()
    if pending is not None:
        return pending.pk
    return job_submit(kind=selectors.LISTS_JOB_KIND, params={"only_changed": True}).pk
