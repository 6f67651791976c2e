"""The broker restarted while jobs are queued, or down when a job is submitted: no job is lost,
each runs once, and the web keeps answering. A Redis server of the test's own (crashed with
SIGKILL and started again), real worker processes, the configured database."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from ml import services
from ml.models import Job
from shop.models import Category
from tests.factories.api import StaffFactory, grant, session_client
from tests.ml import job_kinds_for_tests  # noqa: F401 - registers the test job kinds
from tests.reliability.conftest import start_worker, stop

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def markers_of(job_ids: list[int]) -> dict[int, list[str]]:
    return {
        pk: list(
            Category.objects.filter(name__startswith=f"job-{pk}-").values_list("name", flat=True)
        )
        for pk in job_ids
    }


def test_jobs_queued_across_a_broker_restart_all_run_exactly_once(
    redis_broker, worker_env, settings, wait_for
):
    settings.ML_JOB_RESEND_AFTER_S = 0.5
    redis_broker.start()
    jobs = [services.job_submit(kind="test_killable", params={"steps": 2}) for _ in range(3)]
    ids = [job.pk for job in jobs]
    assert all(Job.objects.get(pk=pk).celery_task_id for pk in ids)  # all reached the broker

    redis_broker.crash()
    redis_broker.start()
    time.sleep(1)  # past ML_JOB_RESEND_AFTER_S

    outcome = services.job_requeue_stale()  # the beat task's every-minute check
    if redis_broker.persistent:
        assert outcome["resent"] == []  # the messages survived; nothing sent twice
    else:
        assert sorted(outcome["resent"]) == sorted(ids)  # lost with the broker; sent again

    worker = start_worker(worker_env)
    try:
        wait_for(lambda: all(Job.objects.get(pk=pk).is_finished for pk in ids), timeout=90)
    finally:
        stop(worker)
    for job in Job.objects.filter(pk__in=ids):
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.attempts == 1
        assert ("Message lost by the queue; sent again" in job.log) is not redis_broker.persistent
    markers = markers_of(ids)
    assert all(len(names) == 1 for names in markers.values()), markers  # the work ran once


@pytest.mark.parametrize("redis_broker", [False], indirect=True)
def test_the_web_answers_while_the_broker_is_down_and_the_job_runs_once_it_is_back(
    redis_broker, worker_env, wait_for
):
    client = session_client(grant(StaffFactory(), "ml.add_job", "ml.view_job"))

    started = time.perf_counter()
    response = client.post(
        "/api/v1/jobs/", {"kind": "test_killable", "params": {"steps": 2}}, format="json"
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.content
    assert elapsed < 8, f"submitting with the broker down took {elapsed:.1f}s"
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.QUEUED and job.celery_task_id == ""
    assert job.progress_message == services.jobs.UNSENT_MESSAGE  # the failure is reported
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 200  # reads keep working
    assert client.get("/api/v1/health/").status_code == 200

    redis_broker.start()
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert services.job_requeue_stale()["sent"] == [job.pk]

    worker = start_worker(worker_env)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=90)
    finally:
        stop(worker)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert len(markers_of([job.pk])[job.pk]) == 1
