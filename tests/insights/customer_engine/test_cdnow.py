"""The BG/NBD fit on the real CDNOW summary against Fader, Hardie and Lee (2005)."""

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from insights.customer_engine.btyd import BgNbdParams, fit_bg_nbd

REPO_ROOT = Path(__file__).resolve().parents[3]
SUMMARY_FILE = "cdnow/cdnow_customers_summary.csv"
PUBLISHED = BgNbdParams(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)


def shared_data_dir() -> Path:
    """$SHARED_DATA_DIR, else the shared/data folder beside the repository (as settings do)."""
    return Path(os.environ.get("SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="module")
def cdnow_summary():
    path = shared_data_dir() / SUMMARY_FILE
    if not path.is_file():
        pytest.skip(f"CDNOW summary not found at {path} (set SHARED_DATA_DIR to its folder).")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(np.array([float(row[k]) for row in rows]) for k in ("frequency", "recency", "T"))


def test_the_summary_is_the_published_cohort(cdnow_summary):
    x, _, _ = cdnow_summary
    assert len(x) == 2357
    assert int((x > 0).sum()) == 946


def test_bg_nbd_fit_reproduces_the_published_parameters(cdnow_summary):
    fit = fit_bg_nbd(*cdnow_summary)

    assert fit.info.converged
    for name, published in PUBLISHED.as_dict().items():
        assert fit.params.as_dict()[name] == pytest.approx(published, rel=1e-3), name
    # FHL 2005 report the maximised log-likelihood as -9582.4.
    assert fit.info.log_likelihood == pytest.approx(-9582.4, abs=0.1)
