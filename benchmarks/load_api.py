"""The main storefront endpoints under load, next to a trivial endpoint on the same server.

    python benchmarks/load_api.py --data ../shared/data [--duration 60] [--concurrency 4,16,64]

What it does, in one run on this machine:

1. Builds a demo store (`seed_demo --data-dir DATA`) in a fresh PostgreSQL database (created
   and dropped by the run; `--database-url` names the server), with Redis as the cache
   (`--cache-url`), trains the recommenders quickly (sequential model capped at 2 minutes) and
   precomputes the personal lists, as the nightly job does, and adds a
   running campaign with three approved ad variants at the placement `home`.
2. Starts gunicorn (`--workers`) on a free port and, for each concurrency level, runs wrk for
   `--duration` seconds (after a 3 s warm-up) against, one at a time:
   - `trivial`: `/api/v1/health/` (no database, no authentication: the machine's ceiling);
   - `products`: `/api/v1/products/?page=N` (catalogue list, a storefront API key);
   - `recommendations`: `/api/v1/recommendations/for-you/?customer=ID`;
   - `ad_variant`: `/api/v1/ads/home/?product=ID` (Thompson sampling, holdout);
   - `event_ingest`: `POST /api/v1/events/` with one view event per request.
   Requests spread over every product, customer and page in turn.
3. Reports requests/s, p50 and p99 latency and errors (non-2xx and socket errors; must be 0)
   per endpoint and level, and each endpoint's rate as a share of the trivial one at the same
   level (a ratio holds on a noisy machine where absolute numbers do not). wrk and the server
   share the machine's cores.

Writes its section of benchmarks/RESULTS.md; the last line is `RESULT {"<endpoint>": {"rps":
.., "p99_ms": .., "errors": ..}, ..., "trivial": {...}}` at the highest concurrency level.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import subprocess
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

SECTION = "load_api"

SETUP_SCRIPT = """
import datetime as dt, json, django
django.setup()
from django.conf import settings
from django.utils import timezone
from marketing.models import AdCopy, Campaign, Channel
from shop.models import ApiKey, Customer, Product
from shop.services import api_key_issue
from recommendations import services

services.recs_train(sequential={"max_train_seconds": 120}, promote=True)
services.personal_lists_recompute()
today = timezone.localdate()
campaign = Campaign.objects.create(
    name="Load test", slug="load-test", channel=Channel.DISPLAY, holdout_share=0.1,
    starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=30),
)
for n, headline in enumerate(["Fresh picks for you", "New in this week", "Made to last"]):
    AdCopy.objects.create(
        campaign=campaign, channel=Channel.DISPLAY, placement="home", headline=headline,
        body="See what is new in the store.", call_to_action="Shop now",
        status=AdCopy.Status.APPROVED,
    )
_key, raw = api_key_issue(name="load test", scopes=list(ApiKey.Scope.values), created_by=None)
products = list(Product.objects.filter(is_active=True).values_list("pk", flat=True))
print(json.dumps({
    "key": raw,
    "products": products,
    "customers": list(Customer.objects.values_list("pk", flat=True)[:5000]),
    "pages": list(range(1, max(1, len(products) // settings.REST_FRAMEWORK["PAGE_SIZE"]) + 1)),
}))
"""

EVENT_BODY = (
    '{"events": [{"kind": "view", "product_id": %d, "session_id": "load-test",'
    ' "occurred_at": "2026-01-01T12:00:00Z"}]}'
)


def psql(database_url: str, sql: str) -> None:
    subprocess.run(["psql", database_url, "-q", "-c", sql], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="shared data folder")
    parser.add_argument("--duration", type=int, default=60, help="seconds per endpoint and level")
    parser.add_argument("--concurrency", default="4,16,64", help="wrk connections per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server to create the benchmark's database on",
    )  # fmt: skip
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    require_wrk()
    levels = [int(level) for level in args.concurrency.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="load-api-"))
    database = f"load_api_{secrets.token_hex(4)}"
    server_url = args.database_url.rsplit("/", 1)[0]
    psql(args.database_url, f"CREATE DATABASE {database}")
    env = benchmark_env(
        workdir / "var",
        DATABASE_URL=f"{server_url}/{database}",
        CACHE_URL=args.cache_url,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/11",
    )
    runs: dict[int, dict[str, dict]] = {}
    try:
        started = time.perf_counter()
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo", "--data-dir", str(args.data))
        state = json.loads(run_python(env, SETUP_SCRIPT).strip().splitlines()[-1])
        print(f"Store ready in {time.perf_counter() - started:.0f} s", flush=True)
        endpoints = {
            "trivial": ("GET", "/api/v1/health/?%d", state["products"], ""),
            "products": ("GET", "/api/v1/products/?page=%d", state["pages"], ""),
            "recommendations": (
                "GET", "/api/v1/recommendations/for-you/?customer=%d", state["customers"], ""
            ),
            "ad_variant": ("GET", "/api/v1/ads/home/?session=s&product=%d", state["products"], ""),
            "event_ingest": ("POST", "/api/v1/events/?%d", state["products"], EVENT_BODY),
        }  # fmt: skip
        with gunicorn(env, workers=args.workers) as url:
            for level in levels:
                runs[level] = {}
                for name, (method, path, ids, body) in endpoints.items():
                    runs[level][name] = run_wrk(
                        url,
                        path,
                        ids,
                        auth=f"Api-Key {state['key']}",
                        connections=level,
                        duration=args.duration,
                        workdir=workdir,
                        method=method,
                        body_format=body,
                    )
                    run = runs[level][name]
                    print(
                        f"c={level:<3} {name:<16} {run['rps']:8.0f} req/s  "
                        f"p50 {run['p50_ms']:7.1f} ms  p99 {run['p99_ms']:7.1f} ms  "
                        f"errors {run['errors']}",
                        flush=True,
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        psql(args.database_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")

    from benchmarks.encoder_throughput import replace_section

    rows = []
    for level, level_runs in runs.items():
        trivial = level_runs["trivial"]["rps"]
        for name, run in level_runs.items():
            rows.append(
                f"| {level} | {name} | {run['rps']:.0f} | {run['p50_ms']:.1f} | "
                f"{run['p99_ms']:.1f} | {run['rps'] / trivial:.2f} | {run['errors']} |"
            )
    errors = sum(run["errors"] for level_runs in runs.values() for run in level_runs.values())
    body = "\n".join(
        [
            "## Storefront API under load (`benchmarks/load_api.py`)",
            "",
            f"Run {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs, "
            f"shared by wrk and the server): gunicorn with {args.workers} workers, PostgreSQL, "
            f"Redis cache; wrk 1 thread, {args.duration} s per endpoint and level after a 3 s "
            f"warm-up. Demo store from `{args.data}` ({len(state['products'])} products, "
            f"{len(state['customers'])} customers requested in turn).",
            "",
            "| connections | endpoint | requests/s | p50 ms | p99 ms | vs trivial | errors |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            f"Errors in all runs: {errors} (target 0).",
        ]
    )
    document = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(replace_section(document, SECTION, body))
    print(body)
    top = runs[max(runs)]
    result = {
        name: {
            "rps": round(run["rps"], 1),
            "p99_ms": round(run["p99_ms"], 2),
            "errors": run["errors"],
        }
        for name, run in top.items()
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
