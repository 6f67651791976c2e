"""Writes of the job lifecycle."""

import logging
import traceback as traceback_module
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from ml.exceptions import JobCancelled, JobNotCancellable, JobNotFound, UnknownJobKind
from ml.job_kinds import job_kind_get
from ml.models import Job

logger = logging.getLogger(__name__)

MAX_LOG_CHARS = 200_000


@transaction.atomic
def job_submit(*, kind: str, params: dict[str, Any] | None = None, created_by=None) -> Job:
    """Create a queued job and enqueue its task once the transaction commits.

    Side effects: inserts a Job row; after commit, sends one Celery message to the
    kind's queue and stores the message id on the row.
    """
    try:
        spec = job_kind_get(kind)
    except KeyError as exc:
        raise UnknownJobKind(f"Unknown job kind {kind!r}.", field="kind") from exc
    clean_params = spec.validate_params(params or {})
    job = Job.objects.create(
        kind=kind,
        queue=spec.queue,
        params=clean_params,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        progress_message="Waiting for a worker",
    )

    transaction.on_commit(lambda: _send(job.pk, spec))
    return job


def job_run_in_process(*, kind: str, params: dict[str, Any] | None = None, created_by=None) -> Job:
    """Create a job and run it here and now, through the same task class a worker uses.

    For management commands that do a job's work in process (`manage.py intent_train`).
    Side effects: inserts a Job row and runs its body (which writes what the kind writes);
    nothing is sent to the queue. Returns the finished job (succeeded, failed or cancelled);
    bad parameters raise DRF ValidationError before anything is written.
    """
    try:
        spec = job_kind_get(kind)
    except KeyError as exc:
        raise UnknownJobKind(f"Unknown job kind {kind!r}.", field="kind") from exc
    job = Job.objects.create(
        kind=kind,
        queue=spec.queue,
        params=spec.validate_params(params or {}),
        created_by=created_by if getattr(created_by, "pk", None) else None,
        progress_message="Running in process",
    )
    spec.task().apply(args=[job.pk])
    job.refresh_from_db()
    return job


UNSENT_MESSAGE = "The job queue could not be reached; the job will be sent when it is back"


def _send(job_id: int, spec) -> bool:
    """Send the job's message; when the broker is down, say so on the job and return False
    (job_requeue_stale sends unsent jobs again), so a web request never fails or hangs on it."""
    try:
        result = spec.task().apply_async(args=[job_id], queue=spec.queue)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the row keeps the job
        logger.warning("could not send job %s to the queue: %s", job_id, exc)
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            progress_message=UNSENT_MESSAGE
        )
        return False
    Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        celery_task_id=result.id, heartbeat_at=timezone.now()
    )
    return True


def _queue_depth(queue: str) -> int | None:
    """Messages waiting in `queue` on the broker, or None when the broker can't be asked."""
    from config.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            return connection.default_channel.queue_declare(queue=queue).message_count
    except Exception as exc:  # noqa: BLE001 - any broker failure: try again at the next check
        logger.warning("could not read the depth of queue %s: %s", queue, exc)
        return None


@transaction.atomic
def job_cancel(*, job_id: int) -> Job:
    """Ask a job to stop.

    A queued job is cancelled at once. A running job gets `cancel_requested`; its task
    sees that at its next progress report and stops cleanly. A revoke is sent too, which
    reaches workers on brokers with broadcast (Redis, RabbitMQ; not the filesystem one).
    """
    try:
        job = Job.objects.select_for_update().get(pk=job_id)
    except Job.DoesNotExist as exc:
        raise JobNotFound(f"Job {job_id} does not exist.") from exc
    if job.is_finished:
        raise JobNotCancellable(f"Job {job_id} has already {job.status}.")
    if job.status == Job.Status.QUEUED:
        job.status = Job.Status.CANCELLED
        job.finished_at = timezone.now()
        job.progress_message = "Cancelled before it started"
    job.cancel_requested = True
    job.save(update_fields=["status", "finished_at", "progress_message", "cancel_requested"])
    if job.celery_task_id:
        task_id = job.celery_task_id
        transaction.on_commit(lambda: _revoke_quietly(task_id))
    return job


def _revoke_quietly(task_id: str) -> None:
    from config.celery import app

    try:
        app.control.revoke(task_id)
    except NotImplementedError:
        # The filesystem transport has no broadcast; cooperative cancel does the work.
        logger.info("revoke not supported by this broker; relying on cooperative cancel")
    except Exception:  # noqa: BLE001 - revoke is best effort, the job state already says cancel
        logger.warning("revoke of %s failed", task_id, exc_info=True)


@transaction.atomic
def job_start(*, job_id: int, task_id: str) -> Job | None:
    """Move a job to running for this delivery, or return None if there is nothing to do.

    Guard against re-delivery: a job already finished (or cancelled while queued) is
    left alone, so a message delivered twice never runs the work twice.
    """
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        logger.warning("job %s vanished before it ran", job_id)
        return None
    if job.is_finished:
        logger.info("job %s already %s; ignoring re-delivered message", job_id, job.status)
        return None
    if job.cancel_requested:
        _finish(job, Job.Status.CANCELLED, message="Cancelled before it started")
        return None
    now = timezone.now()
    if (
        job.status == Job.Status.RUNNING
        and job.heartbeat_at is not None
        and now - job.heartbeat_at < stale_after()
    ):
        logger.info("job %s is running on a live worker; ignoring a second delivery", job_id)
        return None
    job.status = Job.Status.RUNNING
    job.heartbeat_at = now
    job.attempts = F("attempts") + 1
    job.celery_task_id = task_id
    job.started_at = job.started_at or timezone.now()
    job.progress_message = "Started"
    job.save(
        update_fields=[
            "status",
            "attempts",
            "celery_task_id",
            "started_at",
            "progress_message",
            "heartbeat_at",
        ]
    )
    job.refresh_from_db()
    return job


# A job is sent right after its transaction commits; one still unsent after this was not.
UNSENT_GRACE = timedelta(seconds=30)


def stale_after() -> timedelta:
    """How long a running job may go without a heartbeat before its worker counts as lost."""
    return timedelta(seconds=settings.ML_JOB_HEARTBEAT_S * settings.ML_JOB_STALE_BEATS)


def job_heartbeat(*, job_id: int) -> None:
    """Record that the worker running this job is alive (the heartbeat thread calls this)."""
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(heartbeat_at=timezone.now())


def job_requeue_stale(*, max_attempts: int | None = None) -> dict[str, list[int]]:
    """Find running jobs whose heartbeat stopped (their worker died: killed, out of memory,
    machine lost) and send each to a worker again, or fail it after `max_attempts` starts.

    A re-sent job starts over (job kinds are idempotent: a training run registers its version
    only at the end, scores are upserted), and the job row shows the extra attempt. Returns
    {"requeued": [ids], "failed": [ids], "sent": [ids], "resent": [ids]}, where "sent" are
    queued jobs whose message never reached the broker (it was down when they were submitted)
    and "resent" queued jobs whose message the broker lost: sent more than
    ML_JOB_RESEND_AFTER_S ago, never started, and their queue on the broker is empty (a broker
    restarted without persistence). A second message for a job is harmless: `job_start` runs a
    job once, whatever number of deliveries.
    """
    limit = max_attempts or settings.ML_JOB_MAX_ATTEMPTS
    cutoff = timezone.now() - stale_after()
    outcome: dict[str, list[int]] = {"requeued": [], "failed": []}
    stale = Job.objects.filter(status=Job.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    for job_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job_id)
            if job.status != Job.Status.RUNNING or (job.heartbeat_at or job.started_at) >= cutoff:
                continue  # it moved on while we looked
            if job.attempts >= limit:
                job.error = (
                    f"The worker running this job stopped responding {job.attempts} times "
                    "(no heartbeat); giving up."
                )
                _finish(job, Job.Status.FAILED, message="Failed: worker lost")
                outcome["failed"].append(job.pk)
                continue
            job.status = Job.Status.QUEUED
            job.progress_message = (
                f"Worker lost; sent to a worker again (attempt {job.attempts + 1})"
            )
            job.log = (job.log + f"[{timezone.now():%H:%M:%S}] {job.progress_message}\n")[
                -MAX_LOG_CHARS:
            ]
            job.save(update_fields=["status", "progress_message", "log"])
            job.celery_task_id = ""
            job.save(update_fields=["celery_task_id"])
            spec = job_kind_get(job.kind)
            transaction.on_commit(lambda spec=spec, pk=job.pk: _send(pk, spec))
            outcome["requeued"].append(job.pk)
    outcome["sent"] = []
    unsent = Job.objects.filter(
        status=Job.Status.QUEUED, celery_task_id="", created_at__lt=timezone.now() - UNSENT_GRACE
    )
    for job in unsent.only("pk", "kind"):
        if _send(job.pk, job_kind_get(job.kind)):
            outcome["sent"].append(job.pk)
    outcome["resent"] = _resend_lost_messages()
    if any(outcome.values()):
        logger.warning("stale jobs: %s", outcome)
    return outcome


def _resend_lost_messages() -> list[int]:
    """Send again the queued jobs whose message is no longer on the broker (see above).

    While a job is queued, its `heartbeat_at` is when its message was last sent (`_send`).
    """
    sent_before = timezone.now() - timedelta(seconds=settings.ML_JOB_RESEND_AFTER_S)
    waiting = (
        Job.objects.filter(status=Job.Status.QUEUED, cancel_requested=False)
        .exclude(celery_task_id="")
        .filter(Q(heartbeat_at__lt=sent_before) | Q(heartbeat_at__isnull=True))
        .filter(created_at__lt=sent_before)
    )
    resent: list[int] = []
    depths: dict[str, int | None] = {}
    for job in waiting.only("pk", "kind", "queue"):
        if job.queue not in depths:
            depths[job.queue] = _queue_depth(job.queue)
        if depths[job.queue] != 0:
            continue  # messages are waiting (or the broker can't say): leave them be
        if _send(job.pk, job_kind_get(job.kind)):
            Job.objects.filter(pk=job.pk).update(
                progress_message="The job queue lost this job's message; sent again",
                log=Concat(
                    F("log"),
                    Value(f"[{timezone.now():%H:%M:%S}] Message lost by the queue; sent again\n"),
                ),
            )
            resent.append(job.pk)
    return resent


def job_report_progress(*, job_id: int, percent: float, message: str = "") -> None:
    """Record progress (0-100) and append the message to the log.

    Raises JobCancelled when staff asked to cancel, so the running task stops here.
    """
    percent_int = max(0, min(100, int(percent)))
    updates: dict[str, Any] = {"progress": percent_int, "heartbeat_at": timezone.now()}
    if message:
        stamp = timezone.now().strftime("%H:%M:%S")
        updates["progress_message"] = message[:255]
        updates["log"] = Concat(F("log"), Value(f"[{stamp}] {message}\n"))
    # One query on the usual path: the update matches nothing once a cancel was requested.
    updated = Job.objects.filter(
        pk=job_id, status=Job.Status.RUNNING, cancel_requested=False
    ).update(**updates)
    if not updated and Job.objects.filter(pk=job_id, cancel_requested=True).exists():
        raise JobCancelled(f"Job {job_id} was cancelled")


@transaction.atomic
def job_succeed(
    *, job_id: int, metrics: dict | None = None, result: dict | None = None, model_version=None
) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    job.metrics = metrics or {}
    job.result = result or {}
    job.model_version = model_version
    job.progress = 100
    _finish(job, Job.Status.SUCCEEDED, message="Finished")
    return job


@transaction.atomic
def job_fail(*, job_id: int, error: BaseException) -> Job:
    """Mark the job failed, keeping a one-line error and the full traceback."""
    job = Job.objects.select_for_update().get(pk=job_id)
    job.error = f"{type(error).__name__}: {error}"[:2000]
    job.traceback = "".join(
        traceback_module.format_exception(type(error), error, error.__traceback__)
    )
    _finish(job, Job.Status.FAILED, message=job.error[:255])
    return job


@transaction.atomic
def job_mark_cancelled(*, job_id: int) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    _finish(job, Job.Status.CANCELLED, message="Cancelled")
    return job


@transaction.atomic
def job_mark_retrying(*, job_id: int, error: BaseException, countdown: float) -> None:
    job = Job.objects.select_for_update().get(pk=job_id)
    job.status = Job.Status.QUEUED
    job.progress_message = f"Retrying in {countdown:.0f}s after {type(error).__name__}"
    job.log = (job.log + f"{job.progress_message}: {error}\n")[-MAX_LOG_CHARS:]
    job.save(update_fields=["status", "progress_message", "log"])


def _finish(job: Job, status: str, *, message: str) -> None:
    job.status = status
    job.finished_at = timezone.now()
    job.progress_message = message[:255]
    stamp = job.finished_at.strftime("%H:%M:%S")
    job.log = (job.log + f"[{stamp}] {message}\n")[-MAX_LOG_CHARS:]
    job.save()
