"""Run the suite on several cores with pytest-xdist (`make test` passes `-n auto`).

Loaded with `-p tests.parallel` before Django reads its settings, so that in each xdist worker
process (gw0, gw1, ...) it can give the worker what it must not share with the others:

- its own VAR_DIR (`<VAR_DIR>/gw0`): SQLite test database, model artifacts, the filesystem
  broker's folders and the suite log;
- its own Redis database for the broker when CELERY_BROKER_URL is Redis (db 15 for gw0, 14 for
  gw1, ...), so a real worker started by one never takes the other's jobs. PostgreSQL test
  databases are per worker already (pytest-django appends the worker id).

Tests of one file run in the same worker, so module and session fixtures are built once per
file; tests that convert the packaged generator into a fresh cache share one worker, since
that conversion costs a minute and a gigabyte.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
SHARED_GROUPS = {"packaged_generator_cache": "packaged-generator"}


def _redis_database(url: str, index: int) -> str:
    """`url` pointed at Redis database `index` (`redis://host:6379/15` -> `.../14`)."""
    base = re.sub(r"/\d*$", "", url.split("?", 1)[0])
    query = url[len(url.split("?", 1)[0]) :]
    return f"{base}/{index}{query}"


if WORKER:
    number = int(WORKER.removeprefix("gw") or 0)
    var_dir = Path(os.environ.get("VAR_DIR") or ROOT / "var")
    os.environ["VAR_DIR"] = str(var_dir / WORKER)
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith(("redis://", "rediss://")):
        os.environ["CELERY_BROKER_URL"] = _redis_database(broker, 15 - number % 16)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group tests for `--dist loadgroup`: by file, except the shared expensive fixtures."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        fixtures = set(getattr(item, "fixturenames", ()))
        shared = [group for name, group in SHARED_GROUPS.items() if name in fixtures]
        group = shared[0] if shared else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
