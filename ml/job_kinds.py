"""Job kinds and the one base task class that runs every job.

An app declares a kind by decorating its task body with `job_task`:

    @job_task(kind="rating_aggregates", label="Recompute product ratings")
    def recompute(ctx: JobContext) -> JobOutcome:
        ctx.progress(50, "Half way")
        return JobOutcome(metrics={"products": 12})

The body only does its work and reports progress; `JobTask` moves the Job row through its
states, makes re-delivered messages no-ops, retries transient errors with backoff and
jitter, and records failures with their traceback.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from ml.exceptions import JobCancelled, TransientJobError

logger = logging.getLogger(__name__)

GPU_QUEUE = "gpu"
DEFAULT_QUEUE = "default"
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientJobError,
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
)


@dataclass
class JobOutcome:
    metrics: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    model_version: Any = None


@dataclass(frozen=True)
class JobContext:
    """What a task body sees of its job."""

    job_id: int
    params: dict[str, Any]
    created_by_id: int | None

    def progress(self, percent: float, message: str = "") -> None:
        """Report progress; raises JobCancelled if the job was asked to stop."""
        from ml.services import job_report_progress

        job_report_progress(job_id=self.job_id, percent=percent, message=message)


@dataclass(frozen=True)
class JobKindSpec:
    kind: str
    label: str
    task_name: str
    queue: str
    params_serializer: type | None = None
    description: str = ""

    def task(self) -> Task:
        from config.celery import app

        return app.tasks[self.task_name]

    def validate_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Validate with the kind's serializer; raises DRF ValidationError (field errors)."""
        if self.params_serializer is None:
            return dict(params)
        serializer = self.params_serializer(data=params)
        serializer.is_valid(raise_exception=True)
        return _json_safe(serializer.validated_data)


_REGISTRY: dict[str, JobKindSpec] = {}


def job_kind_get(kind: str) -> JobKindSpec:
    return _REGISTRY[kind]


def job_task_route(name: str, args, kwargs, options, task=None, **kw) -> dict | None:
    """Celery router (CELERY_TASK_ROUTES): send each job kind's task to its queue."""
    for spec in _REGISTRY.values():
        if spec.task_name == name:
            return {"queue": spec.queue}
    return None


def job_kind_list() -> list[JobKindSpec]:
    return sorted(_REGISTRY.values(), key=lambda spec: spec.label)


class JobTimeLimitExceeded(Exception):
    """A job ran past its kind's soft time limit and was stopped."""


class Heartbeat:
    """While the job body runs, a thread records every ML_JOB_HEARTBEAT_S that the worker is
    alive, however long the body goes between progress reports; `job_requeue_stale` re-sends
    jobs whose heartbeat stopped."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        from django.conf import settings
        from django.db import connection

        from ml import services

        try:
            while not self._stop.wait(settings.ML_JOB_HEARTBEAT_S):
                try:
                    services.job_heartbeat(job_id=self.job_id)
                except Exception:  # noqa: BLE001 - a missed beat must not kill the job
                    logger.warning("heartbeat of job %s failed", self.job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own database connection

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class JobTask(Task):
    """Base class of every job task: state, idempotency, retries, failures."""

    acks_late = True
    reject_on_worker_lost = True
    max_retries = 3
    retry_backoff_base = 2.0
    retry_backoff_max = 300.0

    def run_job(self, job_id: int, body: Callable[[JobContext], JobOutcome | None]) -> None:
        from ml import services

        try:
            job = services.job_start(job_id=job_id, task_id=self.request.id or "")
        except TRANSIENT_ERRORS as exc:
            # The row could not be locked (a busy database); the job is still queued, so
            # deliver the message again later rather than leave the job waiting forever.
            retries = self.request.retries or 0
            raise self.retry(exc=exc, countdown=self.backoff_seconds(retries)) from exc
        if job is None:
            return
        ctx = JobContext(job_id=job.pk, params=job.params, created_by_id=job.created_by_id)
        try:
            with Heartbeat(job.pk):
                outcome = body(ctx) or JobOutcome()
        except SoftTimeLimitExceeded:
            limit = self.soft_time_limit or "its"
            services.job_fail(
                job_id=job_id,
                error=JobTimeLimitExceeded(
                    f"Stopped after running past the time limit of {limit} seconds."
                ),
            )
            return
        except JobCancelled:
            services.job_mark_cancelled(job_id=job_id)
            return
        except TRANSIENT_ERRORS as exc:
            # A dropped database connection stays broken: open a fresh one to record the retry.
            from django.db import connection

            connection.close_if_unusable_or_obsolete()
            retries = self.request.retries or 0
            if retries < self.max_retries:
                countdown = self.backoff_seconds(retries)
                logger.warning("job %s transient error, retry in %.0fs: %s", job_id, countdown, exc)
                services.job_mark_retrying(job_id=job_id, error=exc, countdown=countdown)
                raise self.retry(exc=exc, countdown=countdown) from exc
            services.job_fail(job_id=job_id, error=exc)
            return
        except Exception as exc:  # noqa: BLE001 - every other failure is terminal and recorded
            logger.exception("job %s failed", job_id)
            services.job_fail(job_id=job_id, error=exc)
            return
        services.job_succeed(
            job_id=job_id,
            metrics=outcome.metrics,
            result=outcome.result,
            model_version=outcome.model_version,
        )

    def backoff_seconds(self, retries: int) -> float:
        """Exponential backoff with full jitter: uniform(0, min(max, base * 2**retries))."""
        ceiling = min(self.retry_backoff_max, self.retry_backoff_base * (2**retries))
        return random.uniform(ceiling / 2, ceiling)


def job_task(
    *,
    kind: str,
    label: str,
    queue: str = DEFAULT_QUEUE,
    params_serializer: type | None = None,
    soft_time_limit: int = 3600,
    time_limit: int = 3900,
    description: str = "",
) -> Callable[[Callable[[JobContext], JobOutcome | None]], Task]:
    """Register a job kind whose work is the decorated body."""

    def decorator(body: Callable[[JobContext], JobOutcome | None]) -> Task:
        task_name = f"ml.job.{kind}"

        @shared_task(
            bind=True,
            base=JobTask,
            name=task_name,
            soft_time_limit=soft_time_limit,
            time_limit=time_limit,
        )
        def run(self: JobTask, job_id: int) -> None:
            self.run_job(job_id, body)

        _REGISTRY[kind] = JobKindSpec(
            kind=kind,
            label=label,
            task_name=task_name,
            queue=queue,
            params_serializer=params_serializer,
            description=description or (body.__doc__ or "").strip().split("\n")[0],
        )
        run.body = body
        return run

    return decorator


def _json_safe(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _json_safe(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_json_safe(value) for value in data]
    if isinstance(data, int | float | str | bool) or data is None:
        return data
    return str(data)
