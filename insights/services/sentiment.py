"""Writes of review sentiment: staff label corrections, scoring reviews with the champion,
and the jobs that train and score (bootstrap, re-score after a promotion, new reviews)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from insights.models import ReviewLabelCorrection, ReviewSentiment, Sentiment
from insights.selectors import sentiment as selectors
from ml import selectors as ml_selectors
from ml import services as ml_services
from ml.datasets import MIN_ROWS
from ml.exceptions import AliasNotSet, ArtifactIntegrityError
from ml.models import Job, ModelVersion
from ml.serving import Served, model_cache
from shop import selectors as shop_selectors

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]

DEFAULT_CHUNK_SIZE = 1000
# Quick mode of the first training run (`manage.py sentiment_bootstrap`, run by `make run`):
# a few minutes on a laptop CPU, good enough that the dashboards show real model output.
QUICK_TRAINING = {"max_rows": 1500, "epochs": 1, "max_length": 96, "batch_size": 32, "lr": 1e-4}


def _no_progress(percent: float, message: str = "") -> None:
    return None


# --- label corrections --------------------------------------------------------------------


@transaction.atomic
def review_label_correct(*, review_id: int, label: str, user=None) -> ReviewLabelCorrection:
    """Set the sentiment label staff give a review; it wins over the rating in training.

    Writes (or overwrites) the review's one ReviewLabelCorrection row. Raises ValueError for
    a label that is not negative, neutral or positive.
    """
    if label not in Sentiment.values:
        raise ValueError(f"Unknown sentiment label {label!r}.")
    correction, _created = ReviewLabelCorrection.objects.update_or_create(
        review_id=review_id,
        defaults={"label": label, "corrected_by": user if getattr(user, "pk", None) else None},
    )
    return correction


@transaction.atomic
def review_label_corrections_set(*, review_ids: Iterable[int], label: str, user=None) -> int:
    """Correct many reviews to one label (an admin action); returns how many."""
    count = 0
    for review_id in sorted(set(review_ids)):
        review_label_correct(review_id=review_id, label=label, user=user)
        count += 1
    return count


# --- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringResult:
    version: ModelVersion
    scored: int
    seconds: float
    scope: str

    @property
    def texts_per_s(self) -> float:
        return self.scored / self.seconds if self.seconds > 0 else 0.0


def sentiment_champion_served() -> Served:
    """The champion's engine from the per-process model cache, as of now.

    The cache checks the alias at most every few seconds; a batch run must not score with a
    version that was just replaced, so a stale answer is asked again once. Raises
    AliasNotSet (nothing promoted yet) and, when the champion cannot be loaded,
    ArtifactIntegrityError or the loader's error.
    """
    try:
        served = _champion_from_cache()
    except AliasNotSet as exc:
        raise AliasNotSet(
            "No sentiment model is champion yet: fine-tune one (job 'Fine-tune a text "
            "classifier', task sentiment) and promote it."
        ) from exc
    champion = selectors.sentiment_champion()
    if champion is None or served.version.pk == champion.pk:
        return served
    time.sleep(model_cache.check_interval_s)
    served = _champion_from_cache()
    if served.version.pk != champion.pk:
        # The cache kept the previous version because the champion failed to load; say why.
        selectors.sentiment_model_of_version(version=champion)
        raise ArtifactIntegrityError(
            f"The champion {champion} could not be loaded (see the worker log); "
            f"{served.version} is still serving."
        )
    return served


def _champion_from_cache() -> Served:
    return model_cache.get(task=selectors.SENTIMENT_TASK, load=selectors.sentiment_engine_load)


def review_sentiments_score(
    *,
    review_ids: Iterable[int] | None = None,
    rescore: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressCallback = _no_progress,
) -> ScoringResult:
    """Score reviews with the sentiment champion and store label, probabilities and version.

    Which reviews: `review_ids` (each of them, always re-scored); otherwise every review with
    a title or text that has no score, or with `rescore` every one not scored by the
    champion (after a promotion: all of them; a resumed run skips what it already did).
    Reads `chunk_size` reviews at a time by ascending id, classifies them in one call and
    upserts their ReviewSentiment rows in one statement, in one transaction per chunk;
    reports progress after each chunk (which raises JobCancelled when the job is cancelled).
    Raises AliasNotSet / ArtifactIntegrityError (see sentiment_champion_served) and
    ValueError when the champion does not predict sentiment labels.
    """
    progress(1, "Loading the sentiment champion")
    served = sentiment_champion_served()
    version, engine = served.version, served.model
    foreign = sorted(set(engine.label_names) - set(Sentiment.values))
    if foreign:
        raise ValueError(
            f"{version} predicts {list(engine.label_names)}, not sentiment labels "
            f"({', '.join(Sentiment.values)}); it cannot score reviews."
        )
    ids = sorted(set(review_ids)) if review_ids is not None else None
    if ids is not None:
        scope, exclude = f"{len(ids)} given reviews", None
    elif rescore:
        scope, exclude = (
            "reviews not scored by the champion",
            selectors.sentiment_scored_ids(version_id=version.pk),
        )
    else:
        scope, exclude = "unscored reviews", selectors.sentiment_scored_ids()
    total = shop_selectors.review_count_for_scoring(review_ids=ids, exclude_ids=exclude)
    progress(2, f"Scoring {total} {scope} with {version}")
    started = time.perf_counter()
    done, after_id = 0, 0
    while True:
        rows = shop_selectors.review_texts_for_scoring(
            after_id=after_id, limit=chunk_size, review_ids=ids, exclude_ids=exclude
        )
        if not rows:
            break
        classified = engine.classify([text for _pk, text in rows])
        _scores_upsert([pk for pk, _text in rows], classified, version)
        done += len(rows)
        after_id = rows[-1][0]
        progress(2 + 97 * min(1.0, done / max(total, 1)), f"Scored {done} of {total} reviews")
    return ScoringResult(
        version=version, scored=done, seconds=time.perf_counter() - started, scope=scope
    )


def _scores_upsert(review_ids: list[int], classified, version: ModelVersion) -> None:
    now = timezone.now()
    names = classified.label_names
    scores = [
        ReviewSentiment(
            review_id=review_id,
            label=label,
            probabilities={name: round(float(p), 4) for name, p in zip(names, row, strict=True)},
            model_version=version,
            scored_at=now,
        )
        for review_id, label, row in zip(
            review_ids, classified.labels, classified.probabilities, strict=True
        )
    ]
    with transaction.atomic():
        ReviewSentiment.objects.bulk_create(
            scores,
            update_conflicts=True,
            unique_fields=["review"],
            update_fields=["label", "probabilities", "model_version", "scored_at"],
        )


# --- jobs ---------------------------------------------------------------------------------


def sentiment_score_unscored_on_commit() -> None:
    """Have new reviews scored shortly after the current transaction commits.

    Side effects: registers an on-commit callback that submits one `sentiment_score` job for
    every unscored review, unless such a job is already queued (it will see the new rows
    too, so a burst of reviews makes one or two jobs, not one each) or no sentiment model is
    champion yet (the first promotion's re-score covers them). A failure to enqueue is
    logged, never raised: the review is saved either way and the next job scores it.
    """
    transaction.on_commit(_submit_unscored_scoring, robust=True)


def _submit_unscored_scoring() -> None:
    sentiment_score_unscored_submit()


def sentiment_score_unscored_submit(*, user=None) -> Job | None:
    """Queue a `sentiment_score` job for the reviews without a score, if it has work to do.

    Returns None (and queues nothing) when no sentiment model is champion, no review waits
    for a score, or a queued job will score them anyway when it starts.
    """
    if selectors.sentiment_champion() is None or selectors.sentiment_score_job_queued():
        return None
    if not shop_selectors.review_count_for_scoring(exclude_ids=selectors.sentiment_scored_ids()):
        return None
    return ml_services.job_submit(kind=selectors.SCORE_JOB_KIND, params={}, created_by=user)


def sentiment_rescore_submit(*, user=None) -> Job:
    """Queue the re-scoring of every review with the current champion (after a promotion).

    Returns the job; a re-score job already waiting in the queue is returned instead of a
    second one. Raises AliasNotSet when no sentiment model is champion.
    """
    if selectors.sentiment_champion() is None:
        raise AliasNotSet("No sentiment model is champion yet: there is nothing to score with.")
    queued = (
        ml_selectors.job_list(status=Job.Status.QUEUED, kind=selectors.SCORE_JOB_KIND)
        .filter(params__rescore=True)
        .order_by("pk")
        .first()
    )
    if queued is not None:
        return queued
    return ml_services.job_submit(
        kind=selectors.SCORE_JOB_KIND, params={"rescore": True}, created_by=user
    )


@dataclass(frozen=True)
class BootstrapResult:
    message: str
    finetune_job: Job | None = None
    score_job: Job | None = None


@transaction.atomic
def sentiment_bootstrap(*, user=None, training: dict | None = None) -> BootstrapResult:
    """Make sure the store gets a sentiment model and scores, so dashboards are never empty.

    Without a champion (and no fine-tune of task sentiment already queued or running), queues
    a quick `finetune_classifier` job on the store's reviews that promotes its result, and a
    `sentiment_score` job that waits for it and then scores every review. With a champion,
    queues the scoring of unscored reviews if there are any. Jobs run when a worker starts.
    """
    champion = selectors.sentiment_champion()
    if champion is not None:
        job = sentiment_score_unscored_submit(user=user)
        if job is None:
            return BootstrapResult(f"{champion} is champion; no review waits for a new job.")
        return BootstrapResult(
            f"{champion} is champion; queued job #{job.pk} to score the unscored reviews.",
            score_job=job,
        )
    reviews = shop_selectors.review_count_for_scoring()
    if reviews < MIN_ROWS:
        return BootstrapResult(f"The store has {reviews} reviews; {MIN_ROWS} are needed to train.")
    training_job = (
        ml_selectors.job_list(kind="finetune_classifier")
        .filter(
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
            params__task=selectors.SENTIMENT_TASK,
        )
        .order_by("pk")
        .first()
    )
    if training_job is not None:
        return BootstrapResult(
            f"Job #{training_job.pk} is already training a sentiment model.",
            finetune_job=training_job,
        )
    params = {
        **QUICK_TRAINING,
        **(training or {}),
        "task": selectors.SENTIMENT_TASK,
        "dataset": "store_reviews_sentiment",
        "promote": True,
    }
    finetune = ml_services.job_submit(kind="finetune_classifier", params=params, created_by=user)
    score = ml_services.job_submit(
        kind=selectors.SCORE_JOB_KIND,
        params={"rescore": True, "after_job_id": finetune.pk},
        created_by=user,
    )
    return BootstrapResult(
        f"Queued job #{finetune.pk} (quick fine-tune on up to {params['max_rows']} reviews, "
        f"promoted when done) and job #{score.pk} (scores every review after it).",
        finetune_job=finetune,
        score_job=score,
    )
