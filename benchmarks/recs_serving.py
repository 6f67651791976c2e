"""Recommendation serving under load: /similar/ and /for-you/ against a trivial DRF endpoint.

    python benchmarks/recs_serving.py --data ../shared/data [--duration 15] [--connections 8]

What it does, in one run on this machine:

1. Builds a demo store in a temporary folder (SQLite; or the database in DATABASE_URL) with
   `seed_demo --data-dir DATA` (the real review and retail data when DATA holds them), trains
   the recommenders quickly (`recs_train`, sequential model capped at --train-minutes) and
   precomputes the personal lists, exactly as the `recommendations_train` job does.
2. Starts gunicorn (the production web server; --workers processes) on a free local port.
3. Runs wrk (Debian package `wrk`) three times, one endpoint at a time, each with a Lua script
   that spreads requests over every product / every customer: the trivial endpoint
   `/api/v1/health/`, then `/api/v1/recommendations/similar/{product}/` and
   `/api/v1/recommendations/for-you/?customer={id}` with a storefront API key. Each run is
   preceded by a short warm-up, so the model is loaded and caches are filled in every worker.
4. Reports p50/p99 latency and requests per second of each, the ratio of each recommendation
   endpoint's rate to the trivial endpoint's (measured side by side on the same server, so the
   ratio holds on a noisy machine where absolute numbers do not), and non-2xx/socket errors.

Targets (issue 5): p99 under 50 ms and at least 0.7x the trivial endpoint's requests per
second, for both endpoints. wrk and the server share the machine's cores.

Writes its section of benchmarks/RESULTS.md; the last line is
`RESULT {"p99_ms_similar": .., "p99_ms_for_you": .., "rps_ratio_similar": ..,
"rps_ratio_for_you": .., "errors": ..}`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serving_harness import (  # noqa: E402
    benchmark_env,
    gunicorn,
    manage,
    require_wrk,
    run_python,
    run_wrk,
)

SECTION = "recs_serving"


SETUP_SCRIPT = """
import json, django
django.setup()
from recommendations import services
from shop.models import ApiKey, Customer, Product
from shop.services import api_key_issue
version, promoted = services.recs_train(
    sequential={"max_train_seconds": %(seconds)s}, use_content=True, promote=True
)
lists = services.personal_lists_recompute()
_key, raw = api_key_issue(
    name="benchmark", scopes=[ApiKey.Scope.RECOMMENDATIONS_READ], created_by=None
)
print(json.dumps({
    "version": str(version),
    "metrics": version.metrics.get("models", {}).get("sequential", {}),
    "lists": lists,
    "key": raw,
    "products": list(Product.objects.filter(is_active=True).values_list("pk", flat=True)),
    "customers": list(Customer.objects.values_list("pk", flat=True)[:5000]),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="shared data folder")
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--train-minutes", type=float, default=2.0)
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    require_wrk()

    workdir = Path(tempfile.mkdtemp(prefix="recs-serving-"))
    env = benchmark_env(workdir / "var")
    started = time.perf_counter()
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo", "--data-dir", str(args.data))
    print(f"Demo store built in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    setup = run_python(env, SETUP_SCRIPT % {"seconds": args.train_minutes * 60})
    state = json.loads(setup.strip().splitlines()[-1])
    print(
        f"Trained {state['version']} and {state['lists']} personal lists in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )

    auth = f"Api-Key {state['key']}"
    load = {
        "auth": auth,
        "connections": args.connections,
        "duration": args.duration,
        "workdir": workdir,
    }
    try:
        with gunicorn(env, workers=args.workers) as url:
            runs = {
                "trivial": run_wrk(url, "/api/v1/health/?%d", state["products"], **load),
                "similar": run_wrk(
                    url, "/api/v1/recommendations/similar/%d/", state["products"], **load
                ),
                "for_you": run_wrk(
                    url,
                    "/api/v1/recommendations/for-you/?customer=%d",
                    state["customers"],
                    **load,
                ),
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    trivial = runs["trivial"]["rps"]
    result = {
        "p99_ms_similar": round(runs["similar"]["p99_ms"], 2),
        "p99_ms_for_you": round(runs["for_you"]["p99_ms"], 2),
        "rps_ratio_similar": round(runs["similar"]["rps"] / trivial, 3),
        "rps_ratio_for_you": round(runs["for_you"]["rps"] / trivial, 3),
        "errors": sum(run["errors"] for run in runs.values()),
    }
    from benchmarks.encoder_throughput import replace_section

    meets = (
        result["p99_ms_similar"] < 50
        and result["p99_ms_for_you"] < 50
        and min(result["rps_ratio_similar"], result["rps_ratio_for_you"]) >= 0.7
        and result["errors"] == 0
    )
    rows = "\n".join(
        f"| {name} | {run['rps']:.0f} | {run['p50_ms']:.1f} | {run['p99_ms']:.1f} | "
        f"{run['rps'] / trivial:.2f} | {run['errors']} |"
        for name, run in runs.items()
    )
    body = "\n".join(
        [
            "## Recommendation serving (`benchmarks/recs_serving.py`)",
            "",
            f"Run {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs, "
            f"shared by wrk and the server): gunicorn with {args.workers} workers, wrk 1 thread "
            f"x {args.connections} connections, {args.duration} s per endpoint after a 3 s "
            f"warm-up. Demo store from `{args.data}`; champion {state['version']} (sequential "
            f"NDCG@10 {state['metrics'].get('ndcg@10')}), {len(state['products'])} products, "
            f"{len(state['customers'])} customers requested in turn.",
            "",
            "| endpoint | requests/s | p50 ms | p99 ms | vs trivial | errors |",
            "| --- | --- | --- | --- | --- | --- |",
            rows,
            "",
            "Targets: p99 < 50 ms and >= 0.7x the trivial endpoint's rate for /similar/ and "
            f"/for-you/: {'met' if meets else 'missed'}.",
        ]
    )
    document = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(replace_section(document, SECTION, body))
    print(body)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
