"""Project-wide fixtures."""

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

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


SUITE_LOG_NAME = "test-suite.log"
_SESSION_STARTED = pytest.StashKey[float]()


def _suite_log_path() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "logs" / SUITE_LOG_NAME


def _logs_to_scan(started: float) -> list[Path]:
    """This process's log and, in the pytest-xdist controller, the logs its workers wrote
    during this run (each worker's VAR_DIR is `<VAR_DIR>/gwN`, see tests/parallel.py)."""
    own = _suite_log_path()
    workers = sorted(own.parent.parent.glob(f"gw*/logs/{SUITE_LOG_NAME}"))
    return [p for p in [own, *workers] if p.exists() and p.stat().st_mtime >= started]


def pytest_sessionstart(session) -> None:
    session.config.stash[_SESSION_STARTED] = time.time()


@pytest.fixture(scope="session", autouse=True)
def _suite_log_file() -> Iterator[Path]:
    """Every log record of the run, as the code emitted it (no redaction), in
    VAR_DIR/logs/test-suite.log; `pytest_sessionfinish` scans it for personal data."""
    import logging

    path = _suite_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def pytest_sessionfinish(session, exitstatus) -> None:
    """Fail the run when the suite's logs hold an e-mail address or a card number: the code
    must never log personal data (see docs/privacy.md). Under pytest-xdist the controller
    scans every worker's log; a worker's own exit status would not fail the run."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    try:
        paths = _logs_to_scan(session.config.stash.get(_SESSION_STARTED, 0.0) - 1)
    except Exception:  # noqa: BLE001 - Django not configured: nothing was logged
        return
    from shop.privacy.detection import personal_data_in

    leaks = [
        line.rstrip()
        for path in paths
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if personal_data_in(line)
    ]
    if leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            names = ", ".join(str(p) for p in paths)
            reporter.write_line(f"Personal data in the suite's logs ({names}):", red=True)
            for line in leaks[:20]:
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Throttles count each caller's requests in the cache, which outlives a test (and user ids
    repeat between tests): every test starts with no requests counted."""
    cache.clear()


@pytest.fixture(scope="module")
def celery_worker_thread(django_db_setup) -> Iterator[object]:
    """A real Celery worker (solo pool, in a thread) consuming both job queues.

    One worker serves a whole test module: stopping one takes seconds.

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


@pytest.fixture
def artifact_store(settings, tmp_path) -> Path:
    """Point the ml_artifacts storage at a fresh folder for this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "ml_artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts")},
        },
    }
    return tmp_path / "artifacts"


@pytest.fixture
def tiny_model_dir(tmp_path) -> Path:
    """A `save_pretrained` directory of a tiny BERT built from a config (no download)."""
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16, max_position_embeddings=32,
    )  # fmt: skip
    directory = tmp_path / "tiny"
    BertModel(config).save_pretrained(directory)
    (directory / "metrics.json").write_text(json.dumps({"macro_f1": 0.5}))
    return directory
