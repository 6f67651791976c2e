"""A worker killed with SIGKILL in the middle of a job: the job's heartbeat stops, the stale-job
check sends it to a worker again, and the work completes exactly once, with the retry visible
on the job. Real worker processes, against the configured database and broker."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app
from ml import services
from ml.models import Job
from shop.models import Category
from tests.ml import job_kinds_for_tests  # noqa: F401 - registers the test job kinds

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import django
django.setup()
import tests.ml.job_kinds_for_tests
from config.celery import app
app.worker_main(["worker", "-Q", "default,gpu", "-P", "solo", "-c", "1", "-l", "warning",
                 "--without-heartbeat", "--without-mingle", "--without-gossip"])
"""


def database_url() -> str:
    """The test database, as a DATABASE_URL the worker process can open."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def worker_env(tmp_path, settings):
    """Environment for worker processes: the test database, the test broker, fast heartbeats."""
    settings.ML_JOB_HEARTBEAT_S = 0.3
    settings.ML_JOB_STALE_BEATS = 5
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": celery_app.conf.broker_url,
        "ML_JOB_HEARTBEAT_S": "0.3",
        "ML_JOB_STALE_BEATS": "5",
        "VAR_DIR": str(tmp_path / "var"),
    }
    options = dict(celery_app.conf.broker_transport_options or {})
    if celery_app.conf.broker_url.startswith("filesystem://"):
        # The worker process reads its folders from VAR_DIR; send this test's messages there.
        base = tmp_path / "var" / "celery"
        folders = {name: base / name for name in ("queue", "processed", "control")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        celery_app.conf.broker_transport_options = {
            **options,
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
        }
        reset_connection_pools()
    yield env
    if celery_app.conf.broker_url.startswith("filesystem://"):
        celery_app.conf.broker_transport_options = options
        reset_connection_pools()


def reset_connection_pools() -> None:
    """Make the next publish open a connection with the current transport options."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env, start_new_session=True
    )


def stop(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=30)


def test_a_job_survives_its_worker_being_killed(worker_env, wait_for):
    first = start_worker(worker_env)
    second = None
    try:
        job = services.job_submit(kind="test_killable", params={"steps": 25})
        wait_for(lambda: Job.objects.get(pk=job.pk).progress >= 20, timeout=60)
        stop(first, signal.SIGKILL)
        assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING  # nobody told the DB

        # The beat task's check, once the heartbeat is stale (5 x 0.3 s).
        requeued = wait_for(lambda: services.job_requeue_stale()["requeued"], timeout=20)
        assert requeued == [job.pk]

        second = start_worker(worker_env)
        wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=90)
        job.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.attempts == 2
        assert "Worker lost; sent to a worker again (attempt 2)" in job.log
        # The work completed once: one marker, the one the job reports.
        markers = list(Category.objects.filter(name__startswith=f"job-{job.pk}-"))
        assert [m.name for m in markers] == [job.result["marker"]]
    finally:
        stop(first, signal.SIGKILL)
        if second is not None:
            stop(second)
