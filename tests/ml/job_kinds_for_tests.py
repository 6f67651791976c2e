"""Job kinds that exist only in tests, to drive the base task through each path.

The worker runs in a thread of the test process, so `CALLS` is seen by both sides.
"""

import time
from collections import Counter

from ml.exceptions import BadJobInput, TransientJobError
from ml.job_kinds import JobContext, JobOutcome, job_task

CALLS: Counter = Counter()


@job_task(kind="test_count", label="Test: count calls")
def count_calls(ctx: JobContext) -> JobOutcome:
    CALLS["test_count", ctx.job_id] += 1
    ctx.progress(50, "half way")
    return JobOutcome(metrics={"calls": CALLS["test_count", ctx.job_id]})


@job_task(kind="test_explode", label="Test: raise an error")
def explode(ctx: JobContext) -> None:
    CALLS["test_explode", ctx.job_id] += 1
    raise ValueError("the body exploded on purpose")


@job_task(kind="test_flaky", label="Test: fail transiently once", queue="gpu")
def flaky(ctx: JobContext) -> JobOutcome:
    CALLS["test_flaky", ctx.job_id] += 1
    if CALLS["test_flaky", ctx.job_id] == 1:
        raise TransientJobError("the GPU was busy")
    return JobOutcome(metrics={"attempt": CALLS["test_flaky", ctx.job_id]})


@job_task(kind="test_bad_input", label="Test: bad input")
def bad_input(ctx: JobContext) -> None:
    CALLS["test_bad_input", ctx.job_id] += 1
    raise BadJobInput("column 'rating' is missing")


@job_task(kind="test_slow", label="Test: run until cancelled")
def slow(ctx: JobContext) -> None:
    for step in range(600):
        CALLS["test_slow", ctx.job_id] += 1
        ctx.progress(step / 6, f"step {step}")
        time.sleep(0.05)


@job_task(kind="test_time_limit", label="Test: run past the time limit", soft_time_limit=7)
def past_time_limit(ctx: JobContext) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    CALLS["test_time_limit", ctx.job_id] += 1
    raise SoftTimeLimitExceeded()  # what Celery raises in the body when the limit passes


@job_task(kind="test_quiet", label="Test: work without reporting progress")
def quiet(ctx: JobContext) -> JobOutcome:
    CALLS["test_quiet", ctx.job_id] += 1
    time.sleep(float(ctx.params.get("seconds", 0.5)))
    return JobOutcome()


@job_task(kind="test_killable", label="Test: slow work with one side effect at the end")
def killable(ctx: JobContext) -> JobOutcome:
    """Runs `steps` x 0.2 s, then creates one category: a run that completes leaves exactly one
    category `job-<id>-<random>`, so a killed and re-run job shows whether work finished twice."""
    import uuid

    from shop.models import Category

    steps = int(ctx.params.get("steps", 25))
    for step in range(steps):
        ctx.progress(100 * step / steps, f"step {step}")
        time.sleep(0.2)
    marker = f"job-{ctx.job_id}-{uuid.uuid4().hex[:8]}"
    Category.objects.create(name=marker, slug=marker)
    return JobOutcome(result={"marker": marker})


@job_task(kind="test_batch_write", label="Test: write a batch, losing the database once")
def batch_write(ctx: JobContext) -> JobOutcome:
    """Writes `rows` categories `batch-<id>-<n>` in one transaction. With `drop_connection`, the
    first attempt has its PostgreSQL connection terminated by the server half way through."""
    from django.db import connection, connections, transaction

    from ml.models import Job
    from shop.models import Category

    rows = int(ctx.params.get("rows", 40))
    first_attempt = Job.objects.get(pk=ctx.job_id).attempts == 1
    with transaction.atomic():
        for number in range(rows):
            name = f"batch-{ctx.job_id}-{number}"
            Category.objects.create(name=name, slug=name)
            if ctx.params.get("drop_connection") and first_attempt and number == rows // 2:
                backend_pid = connection.connection.info.backend_pid
                admin = connections.create_connection("default")
                try:
                    with admin.cursor() as cursor:
                        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
                finally:
                    admin.close()
    return JobOutcome(result={"rows": rows})
