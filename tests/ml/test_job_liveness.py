"""Jobs whose worker died are found by their stopped heartbeat and sent again; jobs past their
time limit fail with a clear reason."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from ml import services
from ml.job_kinds import Heartbeat
from ml.models import Job
from tests.ml import job_kinds_for_tests  # noqa: F401 - registers the test job kinds

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_heartbeat(settings):
    settings.ML_JOB_HEARTBEAT_S = 30
    settings.ML_JOB_STALE_BEATS = 4  # stale after two minutes
    settings.ML_JOB_MAX_ATTEMPTS = 3


def running_job(*, beat_ago: timedelta, attempts: int = 1) -> Job:
    now = timezone.now()
    return Job.objects.create(
        kind="test_count",
        status=Job.Status.RUNNING,
        attempts=attempts,
        started_at=now - timedelta(hours=1),
        heartbeat_at=now - beat_ago,
    )


def test_a_job_whose_heartbeat_stopped_is_sent_to_a_worker_again(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    from ml.job_kinds import job_kind_get

    monkeypatch.setattr(
        type(job_kind_get("test_count").task()),
        "apply_async",
        lambda self, args, queue: sent.append((args, queue)) or SimpleNamespace(id="msg-1"),
    )
    lost = running_job(beat_ago=timedelta(minutes=5))
    alive = running_job(beat_ago=timedelta(seconds=20))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.job_requeue_stale()
    assert outcome == {"requeued": [lost.pk], "failed": [], "sent": [], "resent": []}
    lost.refresh_from_db()
    assert lost.status == Job.Status.QUEUED
    assert "Worker lost; sent to a worker again (attempt 2)" in lost.log
    assert sent == [([lost.pk], "default")]
    alive.refresh_from_db()
    assert alive.status == Job.Status.RUNNING


def test_a_job_that_lost_its_worker_too_often_fails_with_the_reason(
    django_capture_on_commit_callbacks,
):
    lost = running_job(beat_ago=timedelta(minutes=5), attempts=3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = services.job_requeue_stale()
    assert outcome == {"requeued": [], "failed": [lost.pk], "sent": [], "resent": []}
    assert callbacks == []
    lost.refresh_from_db()
    assert lost.status == Job.Status.FAILED
    assert "stopped responding 3 times" in lost.error
    assert lost.finished_at is not None


def test_a_second_delivery_leaves_a_job_with_a_live_worker_alone():
    alive = running_job(beat_ago=timedelta(seconds=10))
    assert services.job_start(job_id=alive.pk, task_id="dup") is None
    alive.refresh_from_db()
    assert alive.attempts == 1


def test_a_delivery_takes_over_a_job_whose_worker_is_gone():
    lost = running_job(beat_ago=timedelta(minutes=10))
    started = services.job_start(job_id=lost.pk, task_id="again")
    assert started is not None
    assert started.attempts == 2
    assert timezone.now() - started.heartbeat_at < timedelta(seconds=5)


def test_progress_reports_count_as_heartbeats():
    job = running_job(beat_ago=timedelta(minutes=10))
    services.job_report_progress(job_id=job.pk, percent=40, message="working")
    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < timedelta(seconds=5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_thread_beats_while_the_body_is_silent(settings):
    import time

    settings.ML_JOB_HEARTBEAT_S = 0.05
    job = running_job(beat_ago=timedelta(minutes=10))
    before = job.heartbeat_at
    with Heartbeat(job.pk):
        time.sleep(0.4)
    job.refresh_from_db()
    assert job.heartbeat_at > before + timedelta(minutes=9)


def broken_broker(self, *args, **kwargs):
    from kombu.exceptions import OperationalError

    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_submitting_while_the_broker_is_down_keeps_the_job_and_says_so(
    django_capture_on_commit_callbacks, monkeypatch
):
    from ml.job_kinds import job_kind_get

    task_class = type(job_kind_get("test_count").task())
    monkeypatch.setattr(task_class, "apply_async", broken_broker)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_submit(kind="test_count")
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.celery_task_id == ""
    assert job.progress_message == services.jobs.UNSENT_MESSAGE

    # The broker is back; the stale-job check sends what was never sent.
    monkeypatch.setattr(
        task_class, "apply_async", lambda self, args, queue: SimpleNamespace(id="m2")
    )
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert services.job_requeue_stale()["sent"] == [job.pk]
    job.refresh_from_db()
    assert job.celery_task_id == "m2"


def test_the_jobs_api_answers_at_once_while_the_broker_is_down(
    monkeypatch, django_capture_on_commit_callbacks
):
    import time

    from ml.job_kinds import job_kind_get
    from tests.factories.api import StaffFactory, grant, session_client

    monkeypatch.setattr(type(job_kind_get("test_count").task()), "apply_async", broken_broker)
    client = session_client(grant(StaffFactory(), "ml.add_job", "ml.view_job"))
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/api/v1/jobs/", {"kind": "test_count"}, format="json")
    assert len(callbacks) == 1  # the send was attempted, and failed
    assert response.status_code == 201
    assert time.perf_counter() - started < 5
    assert Job.objects.get(pk=response.json()["id"]).progress_message == (
        services.jobs.UNSENT_MESSAGE
    )


def queued_job(*, sent_ago: timedelta) -> Job:
    sent_at = timezone.now() - sent_ago
    job = Job.objects.create(kind="test_count", celery_task_id="m1", heartbeat_at=sent_at)
    Job.objects.filter(pk=job.pk).update(created_at=sent_at)
    return job


@pytest.mark.parametrize(
    ("sent_ago", "depth", "resent"),
    [
        (timedelta(minutes=10), 0, True),  # the broker lost the message
        (timedelta(minutes=10), 3, False),  # messages wait in the queue: a long queue
        (timedelta(minutes=10), None, False),  # the broker can't say: ask again later
        (timedelta(minutes=1), 0, False),  # sent a moment ago: a worker may be taking it
    ],
)
def test_a_queued_job_whose_message_the_broker_lost_is_sent_again(
    monkeypatch, settings, sent_ago, depth, resent
):
    from ml.job_kinds import job_kind_get

    settings.ML_JOB_RESEND_AFTER_S = 300
    sent = []
    monkeypatch.setattr(services.jobs, "_queue_depth", lambda queue: depth)
    monkeypatch.setattr(
        type(job_kind_get("test_count").task()),
        "apply_async",
        lambda self, args, queue: sent.append(args) or SimpleNamespace(id="m2"),
    )
    job = queued_job(sent_ago=sent_ago)

    outcome = services.job_requeue_stale()

    job.refresh_from_db()
    assert outcome["resent"] == ([job.pk] if resent else [])
    assert sent == ([[job.pk]] if resent else [])
    assert (job.celery_task_id == "m2") is resent
    assert ("Message lost by the queue; sent again" in job.log) is resent


def test_the_depth_of_a_queue_is_read_from_the_broker():
    depth = services.jobs._queue_depth("a-queue-nobody-uses")
    assert depth == 0
