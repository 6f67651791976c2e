"""Sales forecast quality on the Walmart store-department weekly sales.

    python benchmarks/forecast_quality.py --csv PATH/walmart_sales/train.csv.gz \
        [--max-series N] [--n-jobs 1] [--no-results]

Protocol (issue 8), in one run, on the CPU:

- series: every store-department pair with a value in each of the file's weeks (2,660 of
  them in the full file); `--max-series N` takes a fixed random sample (seed 0) for
  development. The product's recipe and its baselines see exactly the same series.
- the last 13 weeks are held out; everything is fitted on the weeks before (the recipe's own
  model selection and interval calibration use rolling-origin windows inside those weeks
  only); horizon 13.
- MASE: mean over series of MAE / (in-sample seasonal naive MAE with m = 52).
- WMAE: weighted MAE over all series and held-out weeks, holiday weeks (the file's
  IsHoliday) weighted 5.
- coverage of the recipe's 80% and 95% intervals on the held-out points.

The recipe is `insights.forecast_engine.forecast_panel` as the product runs it (weekly,
m = 52, two 13-week CV windows, holidays as events). Every statsforecast model it runs
(SeasonalNaive, MSTL, AutoTheta for these long series) is scored in the same run, as are the
pooled model and the combination alone, from the same fit.

Writes its section of benchmarks/RESULTS.md and prints `RESULT {json}` as its last line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from insights.forecast_engine.config import ForecastConfig  # noqa: E402
from insights.forecast_engine.engine import forecast_panel  # noqa: E402
from insights.forecast_engine.metrics import (  # noqa: E402
    coverage,
    mase,
    seasonal_naive_scale,
    wmae,
)
from insights.forecast_engine.panel import panel_from_rows  # noqa: E402

SECTION = "forecast_quality"
HORIZON = 13
SEASON = 52
HOLIDAY_WEIGHT = 5.0
TARGET_MASE = 0.72
TARGET_COVERAGE80 = (0.75, 0.85)


def load_series(path: Path, max_series: int | None) -> tuple[pd.DataFrame, list[pd.Timestamp]]:
    frame = pd.read_csv(path, parse_dates=["Date"])
    frame["series"] = frame["Store"].astype(str) + "-" + frame["Dept"].astype(str)
    dates = sorted(frame["Date"].unique())
    weeks = frame.groupby("series")["Date"].nunique()
    complete = sorted(weeks[weeks == len(dates)].index)
    if max_series is not None and max_series < len(complete):
        rng = np.random.default_rng(0)
        complete = sorted(rng.choice(complete, size=max_series, replace=False))
    frame = frame[frame["series"].isin(complete)]
    return frame, dates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, required=True, help="walmart_sales/train.csv.gz")
    parser.add_argument("--max-series", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="development mode: drop the last 13 weeks (the test weeks) first, so the protocol "
        "holds out the 13 weeks before them; never writes RESULTS.md",
    )
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md"
    )
    args = parser.parse_args()

    frame, dates = load_series(args.csv, args.max_series)
    if args.validation:
        frame = frame[frame["Date"] <= dates[-HORIZON - 1]]
        dates = dates[:-HORIZON]
        args.no_results = True
        print("Validation mode: the file's last 13 weeks are dropped, never looked at.")
    train_end = dates[-HORIZON - 1]
    test_dates = dates[-HORIZON:]
    train = frame[frame["Date"] <= train_end]
    test = frame[frame["Date"] > train_end]
    holidays = sorted(
        pd.Timestamp(d).date() for d in frame.loc[frame["IsHoliday"], "Date"].unique()
    )
    print(
        f"{train['series'].nunique()} complete series, {len(dates)} weeks "
        f"({dates[0].date()} .. {dates[-1].date()}); held out {test_dates[0].date()} .. "
        f"{test_dates[-1].date()}",
        flush=True,
    )

    # Validation has 13 weeks less history: one CV window keeps the series in the seasonal
    # tier (2 seasons + the windows), as the real protocol's two windows do.
    config = ForecastConfig(
        frequency="W",
        horizon=HORIZON,
        season_length=SEASON,
        cv_windows=1 if args.validation else 2,
        n_jobs=args.n_jobs,
    )
    panel = panel_from_rows(
        zip(train["series"], train["Date"].dt.date, train["Weekly_Sales"], strict=True),
        config=config,
        end=train_end.date(),
    )
    started = time.perf_counter()

    def progress(percent: float, message: str = "") -> None:
        print(f"  [{time.perf_counter() - started:6.0f} s] {percent:5.1f}% {message}", flush=True)

    result = forecast_panel(panel, config=config, events={"holiday": holidays}, progress=progress)
    seconds = time.perf_counter() - started

    actual = (
        test.pivot(index="series", columns="Date", values="Weekly_Sales")
        .loc[panel.ids, test_dates]
        .to_numpy()
    )
    holiday_weeks = np.array([d.date() in set(holidays) for d in test_dates])
    weights = np.where(holiday_weeks, HOLIDAY_WEIGHT, 1.0)[None, :].repeat(len(panel.ids), 0)
    scales = np.array(
        [seasonal_naive_scale(panel.history(i), SEASON) for i in range(len(panel.ids))]
    )
    forecasts = result.forecasts.sort_values(["series_id", "step"])
    position = {series_id: i for i, series_id in enumerate(panel.ids)}
    order = forecasts["series_id"].map(position).to_numpy()

    def as_matrix(column: str) -> np.ndarray:
        out = np.full((len(panel.ids), HORIZON), np.nan)
        out[order, forecasts["step"].to_numpy() - 1] = forecasts[column].to_numpy()
        return out

    point = as_matrix("point")
    rows = []
    recipe = {
        "model": "recipe (per-series choice, `forecast_panel`)",
        "mase": mase(actual, point, scales),
        "wmae": wmae(actual, point, weights),
        "coverage80": coverage(actual, as_matrix("lo_80"), as_matrix("hi_80")),
        "coverage95": coverage(actual, as_matrix("lo_95"), as_matrix("hi_95")),
    }
    rows.append(recipe)
    for name, values in sorted(result.candidates.items()):
        if np.isnan(values).any():
            continue
        rows.append(
            {
                "model": name,
                "mase": mase(actual, values, scales),
                "wmae": wmae(actual, values, weights),
            }
        )
    chosen = {}
    for choice in result.choices:
        chosen[choice.model] = chosen.get(choice.model, 0) + 1
    snaive = next(row for row in rows if row["model"] == "SeasonalNaive")
    statsforecast_models = [r for r in rows if r["model"] in ("SeasonalNaive", "MSTL", "AutoTheta")]
    best_sf = min(statsforecast_models, key=lambda r: r["mase"])
    meets = (
        recipe["mase"] <= TARGET_MASE
        and all(recipe["mase"] < r["mase"] for r in statsforecast_models)
        and TARGET_COVERAGE80[0] <= recipe["coverage80"] <= TARGET_COVERAGE80[1]
    )

    print(f"Fitted and forecast in {seconds:.0f} s; chosen per series: {chosen}")
    table = [
        "| model | MASE | WMAE | 80% coverage | 95% coverage |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        cov80 = f"{row['coverage80']:.3f}" if "coverage80" in row else ""
        cov95 = f"{row['coverage95']:.3f}" if "coverage95" in row else ""
        table.append(
            f"| {row['model']} | {row['mase']:.4f} | {row['wmae']:.1f} | {cov80} | {cov95} |"
        )
    scope = (
        f"all {len(panel.ids)} complete series"
        if args.max_series is None
        else f"a {len(panel.ids)}-series sample (`--max-series {args.max_series}`, seed 0)"
    )
    body = [
        "## Sales forecast quality on Walmart (`benchmarks/forecast_quality.py`)",
        "",
        f"Run {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs, "
        f"n_jobs {args.n_jobs}), statsforecast {_version('statsforecast')}, pandas "
        f"{pd.__version__}, numpy {np.__version__}. `{args.csv.name}`: {scope}, "
        f"{len(dates)} weeks; last {HORIZON} weeks ({test_dates[0].date()} .. "
        f"{test_dates[-1].date()}) held out, horizon {HORIZON}. MASE scaled per series by the "
        f"in-sample seasonal naive MAE (m = {SEASON}); WMAE with holiday weeks weighted "
        f"{HOLIDAY_WEIGHT:g}. Fit, cross-validation and forecast took {seconds:.0f} s.",
        "",
        *table,
        "",
        "Models chosen per series by the recipe's cross-validation: "
        + ", ".join(f"{name} {count}" for name, count in sorted(chosen.items()))
        + ".",
        "",
        f"Target: MASE <= {TARGET_MASE} and below every statsforecast model of the run "
        f"(best: {best_sf['model']} {best_sf['mase']:.4f}), 80% coverage within "
        f"{TARGET_COVERAGE80[0]:.0%}-{TARGET_COVERAGE80[1]:.0%}: "
        + ("meets it." if meets else "misses it."),
    ]
    if not args.no_results:
        from benchmarks.encoder_throughput import write_section

        write_section(args.results, SECTION, "\n".join(body))
    print("\n".join(body))
    print(
        "RESULT "
        + json.dumps(
            {
                "mase": round(recipe["mase"], 4),
                "snaive_mase": round(snaive["mase"], 4),
                "coverage80": round(recipe["coverage80"], 4),
                "coverage95": round(recipe["coverage95"], 4),
                "wmae": round(recipe["wmae"], 2),
                "series": len(panel.ids),
                **{f"{row['model'].lower()}_mase": round(row["mase"], 4) for row in rows[1:]},
            }
        )
    )


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()
