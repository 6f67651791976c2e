"""Real worker processes (and, where a test needs one, its own Redis) for the fault tests."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from kombu import pools as kombu_pools

from config.celery import app as celery_app

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


def reset_connection_pools() -> None:
    """Make the next publish open a connection with the current broker settings."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    if celery_app.amqp._producer_pool is not None:
        celery_app.amqp._producer_pool.force_close_all()
    celery_app.amqp._producer_pool = None
    # kombu keeps connection and producer pools per broker URL, process-wide: close them all,
    # so nothing the next test publishes can go to a broker a previous test stopped.
    kombu_pools.reset()


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env, start_new_session=True
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


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


REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisBroker:
    """A Redis server of the test's own, so it can be crashed and restarted without touching
    the machine's. `persistent` keeps an append-only file, as a production broker should;
    without it (how CI and many installs run Redis) a restart loses every queued message."""

    def __init__(self, directory: Path, *, persistent: bool):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        durability = ["--appendonly", "yes", "--appendfsync", "always"]
        if not self.persistent:
            durability = ["--appendonly", "no"]
        self.process = subprocess.Popen(  # noqa: S603 - the machine's redis-server
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.directory),
                *durability,
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the test's Redis did not start")

    def crash(self) -> None:
        """SIGKILL: what a machine or container loss does (no clean shutdown, no save)."""
        if self.process is not None:
            stop(self.process, signal.SIGKILL)
            self.process = None


@pytest.fixture(params=[True, False], ids=["persistent", "not-persistent"])
def redis_broker(request, tmp_path, worker_env):
    """The test's own Redis as the broker of this process and of the workers it starts."""
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server on the PATH (installed with the machine's Redis)")
    broker = RedisBroker(tmp_path, persistent=request.param)
    previous_env = os.environ.get("CELERY_BROKER_URL")
    previous = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    os.environ["CELERY_BROKER_URL"] = broker.url  # Celery reads it before its conf
    celery_app.conf.broker_url = broker.url
    celery_app.conf.broker_transport_options = {}
    reset_connection_pools()
    worker_env["CELERY_BROKER_URL"] = broker.url
    yield broker
    broker.crash()
    # Environment first, then the conf, then the pools: the next publish must reach the
    # suite's broker again, not this test's stopped one.
    if previous_env is None:
        os.environ.pop("CELERY_BROKER_URL", None)
    else:
        os.environ["CELERY_BROKER_URL"] = previous_env
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = previous
    reset_connection_pools()
