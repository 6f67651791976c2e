"""Job lifecycle on a real Celery worker against the configured database and broker."""

import pytest

from ml import services
from ml.job_kinds import JobTask, job_kind_get
from ml.models import Job
from shop.models import Category, Product, Review
from tests.ml.job_kinds_for_tests import CALLS

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _finished(job_id: int):
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


def test_rating_job_runs_on_worker_and_succeeds_with_full_progress(celery_worker_thread, wait_for):
    category = Category.objects.create(name="Dresses", slug="dresses")
    product = Product.objects.create(sku="D-1", title="Dress", price="10.00", category=category)
    for rating in (5, 4, 2):
        Review.objects.create(
            product=product, rating=rating, text="x", created_at="2026-01-01T00:00:00Z"
        )

    job = services.job_submit(kind="rating_aggregates")
    done = wait_for(lambda: _finished(job.pk))

    assert done.status == Job.Status.SUCCEEDED
    assert done.progress == 100
    assert done.metrics == {"products_updated": 1}
    assert done.attempts == 1
    assert done.started_at is not None and done.finished_at >= done.started_at
    product.refresh_from_db()
    assert (product.review_count, str(product.rating_average)) == (3, "3.67")


def test_job_whose_body_raises_ends_failed_with_traceback(celery_worker_thread, wait_for):
    job = services.job_submit(kind="test_explode")
    done = wait_for(lambda: _finished(job.pk))

    assert done.status == Job.Status.FAILED
    assert done.error == "ValueError: the body exploded on purpose"
    assert "Traceback (most recent call last)" in done.traceback
    assert "raise ValueError" in done.traceback
    assert CALLS["test_explode", job.pk] == 1


def test_redelivered_message_of_finished_job_does_no_work_twice(celery_worker_thread, wait_for):
    job = services.job_submit(kind="test_count")
    first = wait_for(lambda: _finished(job.pk))
    assert first.status == Job.Status.SUCCEEDED

    # The broker delivers the same message again (as after a lost ack).
    job_kind_get("test_count").task().apply_async(args=[job.pk], task_id=first.celery_task_id)
    marker = services.job_submit(kind="test_count")  # queued behind the re-delivery
    wait_for(lambda: _finished(marker.pk))

    again = Job.objects.get(pk=job.pk)
    assert CALLS["test_count", job.pk] == 1
    assert again.attempts == 1
    assert again.finished_at == first.finished_at
    assert again.metrics == {"calls": 1}


def test_transient_error_is_retried_and_then_succeeds(celery_worker_thread, wait_for, monkeypatch):
    monkeypatch.setattr(JobTask, "backoff_seconds", lambda self, retries: 0.2)
    job = services.job_submit(kind="test_flaky")
    done = wait_for(lambda: _finished(job.pk))

    assert done.status == Job.Status.SUCCEEDED
    assert done.queue == "gpu"
    assert CALLS["test_flaky", job.pk] == 2
    assert done.attempts == 2
    assert "Retrying in 0s after TransientJobError" in done.log


def test_bad_input_is_not_retried(celery_worker_thread, wait_for):
    job = services.job_submit(kind="test_bad_input")
    done = wait_for(lambda: _finished(job.pk))

    assert done.status == Job.Status.FAILED
    assert done.error == "BadJobInput: column 'rating' is missing"
    assert CALLS["test_bad_input", job.pk] == 1


def test_cancelling_a_running_job_stops_it_cleanly(celery_worker_thread, wait_for):
    job = services.job_submit(kind="test_slow")
    wait_for(lambda: Job.objects.filter(pk=job.pk, progress__gte=1).exists())

    services.job_cancel(job_id=job.pk)
    done = wait_for(lambda: _finished(job.pk))

    assert done.status == Job.Status.CANCELLED
    assert 0 < done.progress < 100
    assert CALLS["test_slow", job.pk] < 600
