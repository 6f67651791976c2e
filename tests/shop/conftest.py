"""Fixtures of the store's import and demo tests."""

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

CLOTHING_REVIEWS = Path("womens_clothing_reviews") / "Womens_Clothing_E-Commerce_Reviews.csv"
ONLINE_RETAIL = Path("online_retail") / "int_online_tx.csv"


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write an import file: CSV text (dedented, first line the header) or, for .jsonl, a
    list of dicts (one JSON object per line) or raw text."""

    def write(name: str, content: str | list[dict]) -> Path:
        path = tmp_path / name
        if isinstance(content, list):
            text = "".join(json.dumps(row) + "\n" for row in content)
        else:
            text = textwrap.dedent(content).lstrip("\n")
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _shared_file(relative: Path) -> Path:
    path = Path(settings.SHARED_DATA_DIR) / relative
    if not path.is_file():
        pytest.skip(f"real data file {path} is absent (set SHARED_DATA_DIR to its folder)")
    return path


@pytest.fixture
def clothing_reviews_csv() -> Path:
    """The Women's E-Commerce Clothing Reviews file; the test is skipped when it is absent."""
    return _shared_file(CLOTHING_REVIEWS)


@pytest.fixture
def online_retail_csv() -> Path:
    """The UCI Online Retail extract; the test is skipped when it is absent."""
    return _shared_file(ONLINE_RETAIL)
