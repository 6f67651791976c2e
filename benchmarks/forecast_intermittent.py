"""Forecasts of intermittent product sales: the intermittent tier against tiers by length.

    python benchmarks/forecast_intermittent.py --csv PATH/online_retail/int_online_tx.csv \
        [--validation] [--no-results]

Most products of a store sell now and then: weeks without a sale between weeks with one.
`insights.forecast_engine` sends such series (average interval between weeks with a sale of
at least `ForecastConfig.intermittent_adi`, 1.32) to Croston-type models instead of the
smoothing and theta models its tiers by history length would fit. This script measures what
that costs or gains, in one run, on real product sales:

- data: the Online Retail file (one row per invoice line); cancellations (InvoiceNo "C...")
  and non-positive quantities dropped; units summed per StockCode and week (weeks start on
  Monday); the file's last week, which it holds only in part, dropped.
- the last 8 weeks are held out (the product's default weekly horizon); both recipes fit the
  weeks before, as the product runs them (`forecast_panel`, weekly, horizon 8, two 8-week
  cross-validation windows, models chosen by RMSE as `insights.services.forecasts` does).
- scored: products whose history before the held-out weeks is long enough for a cross-
  validated tier (the minimal tier is the same in both recipes).
- RMSSE per product (the M5 competition's scale: RMSE over the held-out weeks divided by the
  root mean squared one-week change of its history), mean over products; bias = forecast
  units / actual units over all of them; seconds of `forecast_panel`, the same panel for both.

`--validation` drops the last 8 weeks first, so the 8 before them are held out: the tier's
models and combination were chosen that way, never on the test weeks.

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
from collections import Counter
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from insights.forecast_engine.config import ForecastConfig  # noqa: E402
from insights.forecast_engine.engine import forecast_panel, tiers_for  # noqa: E402
from insights.forecast_engine.panel import panel_from_rows  # noqa: E402

SECTION = "forecast_intermittent"
HORIZON = 8


def weekly_units(path: Path) -> pd.DataFrame:
    """(StockCode, week, units) of the file's complete weeks."""
    frame = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    frame = frame[~frame["InvoiceNo"].str.startswith("C") & (frame["Quantity"] > 0)]
    day = pd.to_datetime(frame["InvoiceDate"], format="%m/%d/%y %H:%M").dt.normalize()
    frame = frame.assign(week=day - pd.to_timedelta(day.dt.weekday, unit="D"))
    last_day = day.max()
    if last_day.weekday() != 6:  # the last week is held only in part
        frame = frame[frame["week"] < last_day - pd.Timedelta(days=last_day.weekday())]
    return frame.groupby(["StockCode", "week"], as_index=False)["Quantity"].sum()


def rmsse(actual: np.ndarray, point: np.ndarray, history: list[np.ndarray]) -> np.ndarray:
    """Per series: RMSE of the forecast / root mean squared one-period change of the history."""
    out = np.full(len(history), np.nan)
    for i, past in enumerate(history):
        scale = np.sqrt(np.mean(np.diff(past) ** 2)) if len(past) > 1 else 0.0
        if scale > 0:
            out[i] = np.sqrt(np.mean((actual[i] - point[i]) ** 2)) / scale
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, required=True, help="online_retail/int_online_tx.csv")
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="development mode: drop the last 8 weeks (the test weeks) first; never writes "
        "RESULTS.md",
    )
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md"
    )
    args = parser.parse_args()

    units = weekly_units(args.csv)
    weeks = sorted(units["week"].unique())
    if args.validation:
        weeks = weeks[:-HORIZON]
        units = units[units["week"] <= weeks[-1]]
        args.no_results = True
        print("Validation mode: the file's last 8 weeks are dropped, never looked at.")
    train_end, test_weeks = weeks[-HORIZON - 1], weeks[-HORIZON:]
    train = units[units["week"] <= train_end]
    config = ForecastConfig(frequency="W", horizon=HORIZON, selection_metric="rmse")
    panel = panel_from_rows(
        zip(train["StockCode"], train["week"].dt.date, train["Quantity"], strict=True),
        config=config,
        end=train_end.date(),
    )
    shortest = min(minimum for tier, minimum in tiers_for(config) if tier.name != "minimal")
    scored = np.nonzero(panel.lengths >= shortest)[0]
    test = units[units["week"] > train_end]
    actual = (
        test.pivot_table(index="StockCode", columns="week", values="Quantity", aggfunc="sum")
        .reindex(index=[panel.ids[i] for i in scored], columns=test_weeks)
        .fillna(0.0)
        .to_numpy()
    )
    history = [panel.history(i) for i in scored]
    print(
        f"{len(panel.ids)} products, {len(weeks)} weeks ({weeks[0].date()} .. "
        f"{weeks[-1].date()}); held out {test_weeks[0].date()} .. {test_weeks[-1].date()}; "
        f"{len(scored)} products with at least {shortest} weeks of history scored",
        flush=True,
    )

    recipes = {
        "intermittent tier (product)": config,
        "tiers by length alone": replace(config, intermittent_adi=None),
    }
    runs = {}
    for label, recipe in recipes.items():
        started = time.perf_counter()
        result = forecast_panel(panel, config=recipe)
        seconds = time.perf_counter() - started
        position = {choice.series_id: i for i, choice in enumerate(result.choices)}
        frame = result.forecasts
        point = np.zeros((len(panel.ids), HORIZON))
        point[frame["series_id"].map(position).to_numpy(), frame["step"].to_numpy() - 1] = frame[
            "point"
        ].to_numpy()
        point = point[scored]
        tiers = Counter(result.choices[i].tier for i in scored)
        runs[label] = {
            "seconds": seconds,
            "rmsse": float(np.nanmean(rmsse(actual, point, history))),
            "bias": float(point.sum() / actual.sum()),
            "tiers": dict(sorted(tiers.items())),
            "models": dict(sorted(Counter(result.choices[i].model for i in scored).items())),
        }
        if recipe.intermittent_adi is not None:
            sparse = np.array([result.choices[i].tier == "intermittent" for i in scored])
            candidates = {
                name: float(
                    np.nanmean(
                        rmsse(
                            actual[sparse],
                            values[scored][sparse],
                            [h for h, s in zip(history, sparse, strict=True) if s],
                        )
                    )
                )
                for name, values in sorted(result.candidates.items())
                if not np.isnan(values[scored][sparse]).any()
            }
        print(f"{label}: {json.dumps(runs[label])}", flush=True)

    product, by_length = runs["intermittent tier (product)"], runs["tiers by length alone"]
    table = [
        "| recipe | RMSSE | bias (forecast / actual units) | seconds | series per tier |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, run in runs.items():
        tiers = ", ".join(f"{name} {count}" for name, count in run["tiers"].items())
        table.append(
            f"| {label} | {run['rmsse']:.4f} | {run['bias']:.3f} | {run['seconds']:.1f} | {tiers} |"
        )
    body = [
        "## Intermittent product sales (`benchmarks/forecast_intermittent.py`)",
        "",
        f"Run {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs), "
        f"statsforecast {version('statsforecast')}. `{args.csv.name}`: {len(panel.ids)} "
        f"products, {len(weeks)} complete weeks; last {HORIZON} weeks "
        f"({test_weeks[0].date()} .. {test_weeks[-1].date()}) held out, horizon {HORIZON}, "
        f"models chosen by cross-validated RMSE (as the product does). Scored: the "
        f"{len(scored)} products with at least {shortest} weeks of history. RMSSE: RMSE over "
        "the held-out weeks / root mean squared one-week change of the history (M5's scale), "
        "mean over products.",
        "",
        *table,
        "",
        "Each candidate alone on the products the intermittent tier took (RMSSE): "
        + ", ".join(f"{name} {value:.4f}" for name, value in candidates.items())
        + ".",
        "",
        f"The intermittent tier: RMSSE {product['rmsse']:.4f} against "
        f"{by_length['rmsse']:.4f} and bias {product['bias']:.3f} against "
        f"{by_length['bias']:.3f}, in {product['seconds'] / by_length['seconds']:.2f}x the "
        "time of the tiers by length.",
    ]
    if not args.no_results:
        from benchmarks.encoder_throughput import write_section

        write_section(args.results, SECTION, "\n".join(body))
    print("\n".join(body))
    print(
        "RESULT "
        + json.dumps(
            {
                "rmsse": round(product["rmsse"], 4),
                "by_length_rmsse": round(by_length["rmsse"], 4),
                "bias": round(product["bias"], 3),
                "by_length_bias": round(by_length["bias"], 3),
                "seconds": round(product["seconds"], 1),
                "by_length_seconds": round(by_length["seconds"], 1),
                "time_ratio": round(product["seconds"] / by_length["seconds"], 3),
                "series": len(scored),
                "intermittent_series": product["tiers"].get("intermittent", 0),
            }
        )
    )


if __name__ == "__main__":
    main()
