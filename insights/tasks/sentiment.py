"""Job kinds of review sentiment, and the store's sentiment training data.

Fine-tuning is the platform's `finetune_classifier` job (task "sentiment"); its default
dataset, `store_reviews_sentiment`, is registered here because the labels are sentiment's
business: staff corrections win over the rating.
"""

import time

from rest_framework import serializers

from config.celery import app
from insights.selectors import sentiment as selectors
from insights.services import sentiment as services
from ml import datasets
from ml import selectors as ml_selectors
from ml.job_kinds import GPU_QUEUE, JobContext, JobOutcome, job_task
from ml.models import Job

WAIT_POLL_S = 2.0


def store_reviews_sentiment(*, max_rows: int, **_: object) -> datasets.LabelledTexts:
    """The store's reviews with text: staff-corrected label, else the rating's."""
    examples = selectors.sentiment_training_examples(limit=max_rows)
    return datasets.checked_labelled_texts(
        examples.texts,
        examples.labels,
        source="store reviews (rating -> sentiment; staff corrections win)",
        summary={"corrected_labels": examples.corrected},
    )


datasets.register_classification_dataset(
    "store_reviews_sentiment",
    store_reviews_sentiment,
    description="The store's reviews: staff-corrected label, else 1-2 negative, 3 neutral, "
    "4-5 positive",
)


class SentimentScoreParams(serializers.Serializer):
    review_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=10_000,
        help_text="Score exactly these reviews. Leave empty to score every unscored review.",
    )
    rescore = serializers.BooleanField(
        default=False,
        help_text="Also re-score reviews scored by an earlier version (after a promotion).",
    )
    after_job_id = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Start scoring once this job has finished (e.g. the fine-tune whose version "
        "becomes champion).",
    )
    chunk_size = serializers.IntegerField(
        min_value=1, max_value=20_000, default=services.DEFAULT_CHUNK_SIZE
    )


@job_task(
    kind=selectors.SCORE_JOB_KIND,
    label="Score review sentiment",
    queue=GPU_QUEUE,
    params_serializer=SentimentScoreParams,
    soft_time_limit=4 * 3600,
    time_limit=4 * 3600 + 300,
)
def sentiment_score(ctx: JobContext) -> JobOutcome:
    """Score reviews with the sentiment champion: label, probabilities and model version."""
    params = ctx.params
    if params.get("after_job_id"):
        _wait_for_job(ctx, params["after_job_id"])
    result = services.review_sentiments_score(
        review_ids=params.get("review_ids"),
        rescore=params.get("rescore", False),
        chunk_size=params.get("chunk_size", services.DEFAULT_CHUNK_SIZE),
        progress=ctx.progress,
    )
    return JobOutcome(
        metrics={"scored": result.scored, "texts_per_s": round(result.texts_per_s, 1)},
        result={
            "scope": result.scope,
            "task": result.version.task,
            "version": result.version.version,
            "model_version_id": result.version.pk,
        },
    )


def _wait_for_job(ctx: JobContext, job_id: int) -> None:
    """Poll until job `job_id` finishes; progress reports keep this job cancellable."""
    try:
        awaited = ml_selectors.job_get(job_id=job_id)
    except Job.DoesNotExist:
        return
    if not awaited.is_finished:
        ctx.progress(0, f"Waiting for job #{job_id} ({awaited.kind}) to finish")
    while not awaited.is_finished:
        time.sleep(WAIT_POLL_S)
        ctx.progress(0)
        awaited = ml_selectors.job_get(job_id=job_id)
    ctx.progress(1, f"Job #{job_id} {awaited.status}")


@app.task(name="insights.sentiment_score_unscored_nightly")
def sentiment_score_unscored_nightly() -> int | None:
    """Beat entry point: queue the scoring of reviews that no on-commit job reached."""
    job = services.sentiment_score_unscored_submit()
    return job.pk if job else None
