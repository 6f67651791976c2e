"""Regret of the storefront's ad allocator against a uniform A/B split, on simulated traffic.

    python benchmarks/bandit_regret.py [--seeds 20] [--impressions 100000] [--results PATH]

The protocol (issue 6): 4 variants with true conversion rates 2.0%, 2.4%, 2.6% and 3.0%,
100,000 impressions, 20 seeds. Regret is the expected conversions lost to showing a variant
other than the best: sum over impressions of (3.0% - rate of the variant shown). Target: the
product's allocator at most 0.2x the regret of a uniform split of the same traffic.

The product's allocator is the code the API runs (`marketing.selectors.ad_choose`): Thompson
sampling (`marketing.bandit.thompson_allocate`, the vectorised form of `thompson_choose`) on
per-variant counts that the API caches for `ARM_STATS_CACHE_SECONDS`; so every shopper in one
cache period is chosen with the same counts, and the counts are refreshed between periods.
The counts are what the API's selectors read: impressions as the storefront reports them, and
conversions as attribution from the order tables finds them, i.e. only once the order has been
placed. A conversion's order comes a while after the click: a share in the same visit (minutes)
and the rest days later, never after the `CONVERSION_WINDOW` (7 days; a later order is not a
conversion). The traffic is spread evenly over `--days` of campaign, which sets how many
shoppers one cache period holds and how much traffic passes before a conversion is known.

For reference the same seeds are also run without any delay, with the counts refreshed every
100 impressions (the issue's "plain Thompson sampling", about 0.15x), so the cost of learning
from late conversions is visible.

Needs no data (the traffic is simulated); writes its section of benchmarks/RESULTS.md and
prints `RESULT {"regret_ratio": ...}` (ours / uniform) as its last line. Seconds on a CPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketing.bandit import (  # noqa: E402
    HOUR,
    ArmStats,
    conversion_delay_estimate,
    impressions_effective,
    thompson_allocate,
)

SECTION = "bandit_regret"
TRUE_RATES = (0.020, 0.024, 0.026, 0.030)
TARGET_RATIO = 0.2
DAY = 24 * HOUR
# Kept equal to marketing.selectors (importing them needs Django settings); a test checks it.
ARM_STATS_CACHE_SECONDS = 60
DELAY_CACHE_SECONDS = 3600
CONVERSION_WINDOW_SECONDS = 7 * DAY


@dataclass(frozen=True)
class Delay:
    """When the order of a converting click arrives: with probability `same_visit`, an
    exponential delay of mean `visit_mean_s`; else one of mean `later_mean_s`; each truncated
    to the attribution window (a later order would not be a conversion at all)."""

    same_visit: float = 0.4
    visit_mean_s: float = 20 * 60.0
    later_mean_s: float = 1.5 * DAY
    window_s: float = CONVERSION_WINDOW_SECONDS

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        means = np.where(rng.random(n) < self.same_visit, self.visit_mean_s, self.later_mean_s)
        # Inverse CDF of the exponential truncated to [0, window].
        u = rng.random(n)
        return -means * np.log1p(-u * (1.0 - np.exp(-self.window_s / means)))


NO_DELAY = None


def simulate(
    rates: np.ndarray,
    *,
    impressions: int,
    policy: str,
    refresh_every: int,
    seconds_per_impression: float,
    delay: Delay | None,
    rng: np.random.Generator,
) -> dict:
    """Serve `impressions` shoppers; returns the policy's expected regret, its conversions and
    how often each arm was shown.

    "product" sees what `marketing.selectors.variant_arm_stats` reads at each refresh:
    impressions per variant (in total and per hour of the last window), conversions whose
    order has been placed, and the delays of conversions whose window has passed (re-read every
    DELAY_CACHE_SECONDS); and turns them into counts with the same `marketing.bandit`
    functions. "plain" is Thompson sampling on raw counts (impressions, conversions known)."""
    k = len(rates)
    best = rates.max()
    window = CONVERSION_WINDOW_SECONDS
    hours = int(math.ceil(impressions * seconds_per_impression / HOUR)) + 1
    per_hour = np.zeros((k, hours), dtype=np.int64)
    shows = np.zeros(k, dtype=np.int64)
    # Every conversion: when its ad was shown, when its order arrives, which arm.
    shown_chunks: list[np.ndarray] = []
    arrival_chunks: list[np.ndarray] = []
    arm_chunks: list[np.ndarray] = []
    regret = 0.0
    conversions = 0
    estimated = conversion_delay_estimate([], window_s=window)
    estimated_at = -math.inf
    for start in range(0, impressions, refresh_every):
        size = min(refresh_every, impressions - start)
        now = start * seconds_per_impression
        if policy in ("product", "plain"):
            if arrival_chunks:
                shown_at = np.concatenate(shown_chunks)
                arrival = np.concatenate(arrival_chunks)
                arm = np.concatenate(arm_chunks)
                shown_chunks, arrival_chunks, arm_chunks = [shown_at], [arrival], [arm]
            else:
                shown_at = arrival = np.empty(0)
                arm = np.empty(0, dtype=np.int64)
            # Orders placed by now are what attribution from the order tables can see.
            known = np.bincount(arm[arrival <= now], minlength=k)
        if policy == "plain":
            arms = [ArmStats(int(shows[i]), int(known[i])) for i in range(k)]
            chosen = thompson_allocate(arms, size=size, rng=rng)
        elif policy == "product":
            if now - estimated_at >= DELAY_CACHE_SECONDS:
                complete = shown_at <= now - window
                estimated = conversion_delay_estimate(
                    arrival[complete] - shown_at[complete], window_s=window
                )
                estimated_at = now
            first_hour = max(0, int((now - window) // HOUR))
            last_hour = int(now // HOUR)
            ages = now - (np.arange(first_hour, last_hour + 1) * HOUR + HOUR / 2)
            ages = np.clip(ages, 0.0, window)
            effective = impressions_effective(
                impressions=shows,
                recent_ages_s=ages,
                recent_counts=per_hour[:, first_hour : last_hour + 1],
                delay=estimated,
            )
            arms = [ArmStats(float(effective[i]), int(known[i])) for i in range(k)]
            chosen = thompson_allocate(arms, size=size, rng=rng)
        elif policy == "uniform":
            chosen = rng.integers(k, size=size)
        else:
            raise ValueError(f"unknown policy {policy!r}")
        shown_hours = ((start + np.arange(size)) * seconds_per_impression // HOUR).astype(int)
        np.add.at(per_hour, (chosen, shown_hours), 1)
        shows += np.bincount(chosen, minlength=k)
        regret += float((best - rates[chosen]).sum())
        converted = np.flatnonzero(rng.random(size) < rates[chosen])
        conversions += len(converted)
        if len(converted):
            shown = (start + converted) * seconds_per_impression
            lag = delay.sample(rng, len(converted)) if delay is not None else 0.0
            shown_chunks.append(shown)
            arrival_chunks.append(shown + lag)
            arm_chunks.append(chosen[converted])
    return {"regret": regret, "conversions": conversions, "shows": shows}


def run(
    *,
    seeds: int,
    impressions: int,
    refresh_every: int,
    seconds_per_impression: float,
    delay: Delay | None,
    policy: str,
) -> dict:
    """`policy` and uniform over the same seeds: mean regrets, their ratio, the worst seed."""
    rates = np.array(TRUE_RATES)
    ours, uniform, best_share = [], [], []
    for seed in range(seeds):
        for name, sink in ((policy, ours), ("uniform", uniform)):
            outcome = simulate(
                rates,
                impressions=impressions,
                policy=name,
                refresh_every=refresh_every,
                seconds_per_impression=seconds_per_impression,
                delay=delay,
                # Independent streams per (seed, policy), reproducible.
                rng=np.random.default_rng([seed, 0 if name != "uniform" else 1]),
            )
            sink.append(outcome["regret"])
            if name != "uniform":
                best_share.append(outcome["shows"][-1] / impressions)
    ours_a, uniform_a = np.array(ours), np.array(uniform)
    return {
        "ours_mean": float(ours_a.mean()),
        "ours_sd": float(ours_a.std(ddof=1)) if seeds > 1 else 0.0,
        "uniform_mean": float(uniform_a.mean()),
        "ratio": float(ours_a.mean() / uniform_a.mean()),
        "worst_seed_ratio": float((ours_a / uniform_a).max()),
        "best_arm_share": float(np.mean(best_share)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--impressions", type=int, default=100_000)
    parser.add_argument(
        "--days",
        type=float,
        default=14.0,
        help="Days of campaign the impressions are spread over (default 14).",
    )
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md"
    )
    args = parser.parse_args()
    if args.seeds < 1 or args.impressions < 1 or args.days <= 0:
        parser.error("--seeds and --impressions must be at least 1 and --days positive")

    seconds_per_impression = args.days * DAY / args.impressions
    per_cache_period = max(1, math.ceil(ARM_STATS_CACHE_SECONDS / seconds_per_impression))
    delay = Delay()
    common = {
        "seeds": args.seeds,
        "impressions": args.impressions,
        "seconds_per_impression": seconds_per_impression,
    }
    started = time.perf_counter()
    product = run(**common, refresh_every=per_cache_period, delay=delay, policy="product")
    product_seconds = time.perf_counter() - started
    uncorrected = run(**common, refresh_every=per_cache_period, delay=delay, policy="plain")
    reference = run(**common, refresh_every=100, delay=NO_DELAY, policy="plain")
    seconds = time.perf_counter() - started
    verdict = "meets" if product["ratio"] <= TARGET_RATIO else "misses"

    def row(name: str, found: dict) -> str:
        return (
            f"| {name} | {found['ours_mean']:.1f} ± {found['ours_sd']:.1f} | "
            f"{found['uniform_mean']:.1f} | **{found['ratio']:.3f}** | "
            f"{found['worst_seed_ratio']:.3f} | {found['best_arm_share']:.1%} |"
        )

    body = [
        "## Ad allocator regret (`benchmarks/bandit_regret.py`)",
        "",
        f"Run {dt.date.today().isoformat()} on {platform.machine()}, numpy {np.__version__}, "
        f"in {seconds:.1f} s. {len(TRUE_RATES)} variants with true conversion rates "
        f"{', '.join(f'{r:.1%}' for r in TRUE_RATES)}; {args.impressions:,} impressions over "
        f"{args.days:g} days; {args.seeds} seeds. Regret: expected conversions lost to showing "
        "a variant other than the best (sum of best rate - shown rate). Uniform: every "
        "impression picks a variant at random, on the same seeds.",
        "",
        "The product's allocator is `marketing.bandit` Thompson sampling as the API runs it: "
        f"counts cached {ARM_STATS_CACHE_SECONDS} s ({per_cache_period} impressions per cache "
        "period here), conversions known only once their order is placed "
        f"({delay.same_visit:.0%} within the visit, mean {delay.visit_mean_s / 60:.0f} min; "
        f"the rest mean {delay.later_mean_s / 3600:.0f} h; all within the 7-day window); "
        "impressions weighted by the share of their conversions known at their age (the delay "
        "CDF estimated from conversions whose window has passed, re-read hourly).",
        "",
        "| allocator | regret (mean ± sd) | uniform regret | ratio | worst seed | best arm shown |",
        "|---|---|---|---|---|---|",
        row("**product**: cached counts, delayed conversions, delay-weighted", product),
        row("plain Thompson, same delays, raw impression counts", uncorrected),
        row("reference: plain Thompson, no delay, counts every 100 impressions", reference),
        "",
        f"Target: ratio at most {TARGET_RATIO} of the uniform split's regret: {verdict} it. "
        f"The product's run took {product_seconds:.1f} s.",
    ]
    from benchmarks.encoder_throughput import replace_section

    text = "\n".join(body)
    document = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(replace_section(document, SECTION, text))
    print(text)
    result = {
        "regret_ratio": round(product["ratio"], 4),
        "regret": round(product["ours_mean"], 2),
        "uniform_regret": round(product["uniform_mean"], 2),
        "uncorrected_delay_ratio": round(uncorrected["ratio"], 4),
        "reference_no_delay_ratio": round(reference["ratio"], 4),
        "seeds": args.seeds,
        "impressions": args.impressions,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
