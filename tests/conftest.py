"""Project-wide fixtures."""

import time
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app


@pytest.fixture(scope="session", autouse=True)
def _isolated_filesystem_broker(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep test messages out of the development queue under var/."""
    if not celery_app.conf.broker_url.startswith("filesystem://"):
        return
    queue = tmp_path_factory.mktemp("celery-queue")
    processed = tmp_path_factory.mktemp("celery-processed")
    control = tmp_path_factory.mktemp("celery-control")
    celery_app.conf.broker_transport_options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "control_folder": str(control),
        "store_processed": False,
        "polling_interval": 0.1,
    }


@pytest.fixture
def celery_worker_thread() -> Iterator[object]:
    """A real Celery worker (solo pool, in a thread) consuming both job queues.

    It talks to the configured broker (Redis in CI, the filesystem transport otherwise)
    and writes to the test database, so tests using it need committed data:
    `@pytest.mark.django_db(transaction=True, serialized_rollback=True)`.
    """
    try:
        celery_app.control.purge()
    except NotImplementedError:
        pass
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        queues=["default", "gpu"],
        shutdown_timeout=30,
    ) as worker:
        yield worker


@pytest.fixture
def wait_for() -> Callable[..., object]:
    """Poll `condition` until it returns a truthy value or `timeout` seconds pass."""

    def _wait(condition: Callable[[], object], *, timeout: float = 30.0, interval=0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout}s")

    return _wait
