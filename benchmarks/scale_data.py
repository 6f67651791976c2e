"""The store at scale: import speed against PostgreSQL COPY, the nightly jobs, page latency.

    python benchmarks/scale_data.py [--scale 1.0] [--database-url postgres://...]

At --scale 1.0 the store has 100,000 products, 1,000,000 customers, 500,000 orders (about
1,000,000 order lines) and 10,000,000 behaviour events; --scale 0.01 is a hundredth of each.
In one run:

1. Generates the store as import files (CSV, at most --file-rows rows a file: each file is
   imported all-or-nothing in one transaction, as a store would send them) and imports them
   into a fresh PostgreSQL database through the product's importer (`shop.imports`), timing
   every entity.
2. The physical ceiling: the same rows, copied out of that database with `COPY ... TO` and
   into a second fresh database (same schema, indexes and constraints) with `COPY ... FROM`,
   timed. Target: the importer at >= 0.5x COPY's rows per second.
3. The nightly jobs on the imported store, each in its own process with its time and peak
   memory (max RSS): customer scores and segments, recommendations training (the sequential
   model capped at --recs-train-minutes) and the personal lists, then the hourly refresh
   after a view by 1% of the customers (it adds those views to the store), and sales
   forecasts. `--jobs customer_scores,sales_forecast` runs only some of them.
4. Every admin changelist and the main API endpoints, timed in process (median of 3 requests
   after a warm-up) as a superuser / a storefront key; those at 300 ms or more are listed.

Writes its section of benchmarks/RESULTS.md (one per --scale); the last line is
`RESULT {"import_rows_per_s": .., "copy_rows_per_s": .., "ratio": ..}`.

Generating and importing the full-size store takes about 40 minutes on two cores, so a run
can leave its imported store behind (--keep prints its address and its VAR_DIR), and a later
run can take such a store (--store URL --var DIR) and do only steps 3 and 4: it writes its
own section (`scale_data_store_<scale>`) and prints
`RESULT {"jobs": {..}, "pages_over_300_ms": ..}`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serving_harness import benchmark_env, manage  # noqa: E402

# One section of RESULTS.md per scale run: scale_data_0.1, scale_data_1, ...
SECTION = "scale_data"
FULL = {"products": 100_000, "customers": 1_000_000, "orders": 500_000, "events": 10_000_000}
# Tables in foreign-key order, for COPY.
TABLES = [
    "shop_category",
    "shop_product",
    "shop_customer",
    "shop_order",
    "shop_orderitem",
    "shop_event",
]
CATEGORIES = ["Dresses", "Tops", "Knits", "Jackets", "Trousers", "Skirts", "Shoes", "Bags"]
SEARCHES = ["summer dress", "wool jumper", "linen shirt", "rain jacket", "black boots", "tote"]


# --- 1. generating the files --------------------------------------------------------------


class ChunkedWriter:
    """CSV files of at most `rows` data rows each: name-0001.csv, name-0002.csv, ...
    A group of rows (an order's lines) is never split across two files."""

    def __init__(self, folder: Path, name: str, header: list[str], rows: int):
        self.folder, self.name, self.header, self.limit = folder, name, header, rows
        self.paths: list[Path] = []
        self.in_file = 0
        self._handle = None
        self._writer = None

    def write(self, row: list) -> None:
        self.write_group([row])

    def write_group(self, rows: list[list]) -> None:
        if self._writer is None or self.in_file + len(rows) > self.limit:
            self.close()
            path = self.folder / f"{self.name}-{len(self.paths) + 1:04d}.csv"
            self.paths.append(path)
            self._handle = path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(self.header)
            self.in_file = 0
        self._writer.writerows(rows)
        self.in_file += len(rows)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def generate(folder: Path, sizes: dict[str, int], file_rows: int, seed: int) -> dict:
    """Write the store's files; returns {entity: [paths]}. Orders are whole in one file (an
    order's lines are never split across files)."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    files = {}

    products = ChunkedWriter(
        folder, "products", ["sku", "title", "price", "category", "stock"], file_rows
    )
    for n in range(sizes["products"]):
        category = CATEGORIES[n % len(CATEGORIES)]
        products.write(
            [f"P{n:07d}", f"{category[:-1]} no. {n}", f"{rng.uniform(5, 200):.2f}",
             f"Clothing > {category}", rng.randint(0, 500)]
        )  # fmt: skip
    products.close()
    files["products"] = products.paths

    customers = ChunkedWriter(
        folder, "customers", ["external_id", "email", "name", "country"], file_rows
    )
    for n in range(sizes["customers"]):
        customers.write([f"C{n:08d}", f"c{n}@example.com", f"Customer {n}", "United Kingdom"])
    customers.close()
    files["customers"] = customers.paths

    orders = ChunkedWriter(
        folder, "orders", ["order_number", "customer_id", "placed_at", "status", "sku", "quantity"],
        file_rows,
    )  # fmt: skip
    for n in range(sizes["orders"]):
        customer = f"C{rng.randrange(sizes['customers']):08d}"
        placed = (start + dt.timedelta(minutes=rng.randrange(600 * 24 * 60))).isoformat()
        status = rng.choice(["delivered", "delivered", "delivered", "shipped", "paid"])
        lines = rng.sample(range(sizes["products"]), rng.randint(1, 3))
        orders.write_group(
            [
                [f"O{n:08d}", customer, placed, status, f"P{product:07d}", rng.randint(1, 2)]
                for product in lines
            ]
        )
    orders.close()
    files["orders"] = orders.paths

    events = ChunkedWriter(
        folder, "events", ["kind", "customer_id", "session_id", "sku", "query", "occurred_at"],
        file_rows,
    )  # fmt: skip
    for n in range(sizes["events"]):
        when = (start + dt.timedelta(seconds=rng.randrange(600 * 86400))).isoformat()
        customer = f"C{rng.randrange(sizes['customers']):08d}" if n % 3 else ""
        session = "" if customer else f"s{n // 7}"
        if n % 20 == 0:
            events.write(["search", customer, session, "", rng.choice(SEARCHES), when])
        else:
            kind = rng.choice(["view", "view", "view", "click", "add_to_cart"])
            events.write(
                [kind, customer, session, f"P{rng.randrange(sizes['products']):07d}", "", when]
            )
    events.close()
    files["events"] = events.paths
    return files


# --- 2. importing and copying -------------------------------------------------------------

IMPORT_SCRIPT = """
import json, resource, sys, time, django
django.setup()
from shop.imports import entity_import
files = json.loads(sys.argv[1])
timings = {}
for entity, paths in files.items():
    started = time.perf_counter()
    rows = 0
    for path in paths:
        report = entity_import(entity=entity, path=path)
        rows += report.rows
    timings[entity] = {"rows": rows, "seconds": time.perf_counter() - started}
    print(entity, rows, "rows", round(timings[entity]["seconds"], 1), "s", file=sys.stderr)
timings["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(timings))
"""


def psql(url: str, *args: str, stdin=None, stdout=None) -> None:
    subprocess.run(
        ["psql", url, "-q", "-v", "ON_ERROR_STOP=1", *args], check=True, stdin=stdin, stdout=stdout
    )


def table_rows(url: str, table: str) -> int:
    out = subprocess.run(
        ["psql", url, "-tAc", f"SELECT count(*) FROM {table}"],  # noqa: S608 - our table names
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def copy_ceiling(source_url: str, target_url: str, folder: Path) -> dict:
    """Rows per second of COPY FROM into an empty database of the same schema."""
    rows = 0
    seconds = 0.0
    for table in TABLES:
        dump = folder / f"{table}.copy"
        with dump.open("wb") as handle:
            psql(source_url, "-c", f"COPY {table} TO STDOUT", stdout=handle)
        rows += table_rows(source_url, table)
        with dump.open("rb") as handle:
            started = time.perf_counter()
            psql(target_url, "-c", f"COPY {table} FROM STDIN", stdin=handle)
            seconds += time.perf_counter() - started
        dump.unlink()
    return {"rows": rows, "seconds": seconds}


# --- 3. nightly jobs and 4. pages -----------------------------------------------------------

JOB_SCRIPT = """
import json, resource, sys, time, django
django.setup()
from django.core.management import call_command, get_commands
started = time.perf_counter()
step = sys.argv[1]
details = {}
if step == "customer_scores":
    from insights.services.customers import customer_scores_recompute
    customer_scores_recompute()
elif step == "recommendations":
    from recommendations import services
    services.recs_train(sequential={"max_train_seconds": %(recs_seconds)s}, promote=True)
    details["train_s"] = time.perf_counter() - started
    details["lists"] = services.personal_lists_recompute()
    details["lists_s"] = time.perf_counter() - started - details["train_s"]
    # The hourly refresh after an hour's activity: a view by 1 in 100 customers with a list.
    from django.utils import timezone
    from recommendations.models import PersonalList
    from shop.models import Event, Product
    product = Product.objects.order_by("pk").values_list("pk", flat=True).first()
    customers = PersonalList.objects.order_by("?").values_list("customer_id", flat=True)
    customers = customers[: max(1, details["lists"] // 100)]
    Event.objects.bulk_create(
        Event(kind="view", customer_id=c, product_id=product, occurred_at=timezone.now())
        for c in customers
    )
    hourly = time.perf_counter()
    details["hourly_lists"] = services.personal_lists_recompute(only_changed=True)
    details["hourly_s"] = time.perf_counter() - hourly
elif step in get_commands():
    call_command(step)
else:
    print(json.dumps({"skipped": f"no command {step}"})); sys.exit(0)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  **details}))
"""
NIGHTLY = [
    ("customer scores and segments", "customer_scores"),
    ("recommendations (sequential model capped) and personal lists", "recommendations"),
    ("sales forecasts", "sales_forecast"),
]

PAGES_SCRIPT = """
import json, statistics, time, django
from urllib.parse import urlencode
django.setup()
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from shop.models import ApiKey, Customer, Product
from shop.services import api_key_issue

# A kept store (--store) already has the user from the run that imported it.
user = (get_user_model().objects.filter(username="scale-admin").first()
        or get_user_model().objects.create_superuser("scale-admin", "a@example.com", "x"))
client = Client(); client.force_login(user)
_key, raw = api_key_issue(name="scale", scopes=list(ApiKey.Scope.values), created_by=None)
api = APIClient(); api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
product = Product.objects.order_by("pk").last(); customer = Customer.objects.order_by("pk").last()
pages = [("admin", client, reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"))
         for m in admin.site._registry]
pages += [("admin", client, reverse(f"admin:shop_product_change", args=[product.pk])),
          ("admin", client, reverse(f"admin:shop_customer_change", args=[customer.pk]))]
# Filters that match a large part of their table (counted up to the paginator's cap).
pages += [("admin", client, reverse(f"admin:shop_{model}_changelist") + query)
          for model, query in [("order", "?status__exact=delivered"),
                               ("order", "?" + urlencode({"currency": settings.STORE_CURRENCY})),
                               ("event", "?kind__exact=view"), ("event", "?source=web"),
                               ("customer", "?" + urlencode({"country": customer.country}))]]
for path in ["/api/v1/products/", f"/api/v1/products/{product.pk}/",
             f"/api/v1/recommendations/for-you/?customer={customer.pk}",
             f"/api/v1/recommendations/similar/{product.pk}/", "/api/v1/recommendations/trending/",
             f"/api/v1/ads/home/?product={product.pk}&session=s1"]:
    pages.append(("api", api, path))
timings = []
for kind, who, path in pages:
    status = who.get(path).status_code  # warm-up
    samples = []
    for _ in range(3):
        started = time.perf_counter(); who.get(path); samples.append(time.perf_counter() - started)
    timings.append({"kind": kind, "path": path, "status": status,
                    "ms": round(statistics.median(samples) * 1000, 1)})
print(json.dumps(timings))
"""


def run_script(env: dict, script: str, *args: str, fatal: bool = True) -> dict | list:
    """The JSON of the script's last output line. A failing script ends the run, or with
    fatal=False gives {"failed": its last error line} (a nightly job that fails is a finding
    to report, and the steps after it still run)."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode and not fatal:
        sys.stderr.write(f"step failed:\n{done.stderr[-3000:]}")
        lines = done.stderr.strip().splitlines()
        return {"failed": lines[-1] if lines else f"exit code {done.returncode}"}
    if done.returncode:
        sys.exit(f"step failed:\n{done.stderr[-3000:]}")
    sys.stderr.write(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 is the full-size store")
    parser.add_argument("--file-rows", type=int, default=200_000, help="rows per import file")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server to create the benchmark's two databases on",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-jobs", action="store_true")
    parser.add_argument(
        "--recs-train-minutes", type=float, default=10.0,
        help="time limit of the sequential recommender's training",
    )  # fmt: skip
    parser.add_argument(
        "--job-concurrency", type=int, default=1,
        help="nightly jobs run at once, as on a worker with this concurrency",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", type=lambda text: text.split(","),
        help="only these nightly jobs, comma-separated: "
        + ", ".join(step for _label, step in NIGHTLY),
    )  # fmt: skip
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument(
        "--keep", action="store_true", help="leave the imported store's database behind"
    )
    parser.add_argument(
        "--store", metavar="URL",
        help="an imported store (left by --keep): run only the nightly jobs and the pages",
    )  # fmt: skip
    parser.add_argument(
        "--var", type=Path,
        help="with --store: the kept store's VAR_DIR (its model files), as --keep printed it",
    )  # fmt: skip
    args = parser.parse_args()
    if args.store:
        jobs_and_pages_of_store(args)
        return
    sizes = {name: max(10, int(count * args.scale)) for name, count in FULL.items()}

    workdir = Path(tempfile.mkdtemp(prefix="scale-data-"))
    server = args.database_url.rsplit("/", 1)[0]
    names = {side: f"scale_{side}_{secrets.token_hex(3)}" for side in ("import", "copy")}
    urls = {side: f"{server}/{name}" for side, name in names.items()}
    for name in names.values():
        psql(args.database_url, "-c", f"CREATE DATABASE {name}")
    env = benchmark_env(workdir / "var", DATABASE_URL=urls["import"])
    copy_env = benchmark_env(workdir / "var-copy", DATABASE_URL=urls["copy"])
    try:
        started = time.perf_counter()
        files = generate(workdir, sizes, args.file_rows, args.seed)
        print(f"Generated {sizes} in {time.perf_counter() - started:.0f} s", flush=True)
        manage(env, "migrate", "--no-input")
        manage(copy_env, "migrate", "--no-input")
        imported = run_script(
            env, IMPORT_SCRIPT, json.dumps({k: [str(p) for p in v] for k, v in files.items()})
        )
        for paths in files.values():
            for path in paths:
                path.unlink()
        psql(urls["copy"], "-c", "TRUNCATE " + ", ".join(reversed(TABLES)) + " CASCADE")
        copied = copy_ceiling(urls["import"], urls["copy"], workdir)
        print(f"COPY FROM {copied['rows']} rows {copied['seconds']:.1f} s", flush=True)
        jobs, pages = jobs_and_pages(env, args)
    finally:
        for path in workdir.iterdir():
            if not (args.keep and path.name == "var"):  # the kept store's model files
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
        for side, name in names.items():
            if side == "import" and args.keep:
                print(f"Kept the store: --store {urls['import']} --var {workdir / 'var'}")
                continue
            psql(args.database_url, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    entity_rows = {k: v for k, v in imported.items() if isinstance(v, dict)}
    import_rows = sum(v["rows"] for v in entity_rows.values())
    import_seconds = sum(v["seconds"] for v in entity_rows.values())
    result = {
        "import_rows_per_s": round(import_rows / import_seconds),
        "copy_rows_per_s": round(copied["rows"] / copied["seconds"]),
    }
    result["ratio"] = round(result["import_rows_per_s"] / result["copy_rows_per_s"], 3)
    meets = "met" if result["ratio"] >= 0.5 else "missed"

    lines = [
        f"## The store at scale {args.scale:g} (`benchmarks/scale_data.py --scale {args.scale:g}`)",
        "",
        f"Run {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs), "
        f"--scale {args.scale}: {sizes['products']:,} products, {sizes['customers']:,} "
        f"customers, {sizes['orders']:,} orders, {sizes['events']:,} events; PostgreSQL; "
        f"import files of at most {args.file_rows:,} rows.",
        "",
        "| entity | rows | seconds | rows/s |",
        "| --- | --- | --- | --- |",
        *(
            f"| {name} | {v['rows']:,} | {v['seconds']:.1f} | {v['rows'] / v['seconds']:,.0f} |"
            for name, v in entity_rows.items()
        ),
        f"| **importer, all** | {import_rows:,} | {import_seconds:.1f} | "
        f"{result['import_rows_per_s']:,} |",
        f"| **COPY FROM, same rows** (incl. order lines, categories) | {copied['rows']:,} | "
        f"{copied['seconds']:.1f} | {result['copy_rows_per_s']:,} |",
        "",
        f"Importer peak memory {imported['max_rss_mb']:.0f} MB. Importer / COPY: "
        f"**{result['ratio']}x** (target >= 0.5x: {meets}).",
        "",
    ]
    lines += jobs_table(jobs, args.job_concurrency) + [pages_line(pages)]
    write_section(args.results, f"{SECTION}_{args.scale:g}", "\n".join(lines))
    print("RESULT " + json.dumps(result))


def jobs_and_pages(env: dict, args: argparse.Namespace) -> tuple[dict, list]:
    """Steps 3 (unless --skip-jobs) and 4 on the store that `env` points at."""
    jobs = (
        {}
        if args.skip_jobs
        else nightly_jobs(env, args.recs_train_minutes, args.job_concurrency, args.jobs)
    )
    return jobs, run_script(env, PAGES_SCRIPT)


def nightly_jobs(
    env: dict, recs_train_minutes: float, concurrency: int = 1, only: list[str] | None = None
) -> dict:
    """Each nightly job (or those whose step is in `only`) in its own process, `concurrency`
    at a time (a worker's -c)."""
    script = JOB_SCRIPT % {"recs_seconds": recs_train_minutes * 60}

    def run(label: str, step: str) -> dict:
        job = run_script(env, script, step, fatal=False)
        print(label, job, flush=True)
        return job

    with ThreadPoolExecutor(concurrency) as pool:
        running = {
            label: pool.submit(run, label, step)
            for label, step in NIGHTLY
            if only is None or step in only
        }
        return {label: future.result() for label, future in running.items()}


def jobs_table(jobs: dict, concurrency: int) -> list[str]:
    if not jobs:
        return []
    lines = [
        "Nightly jobs, each in its own process, "
        + (
            "one at a time:" if concurrency == 1 else f"{concurrency} at a time (sharing the CPUs):"
        ),
        "",
        "| nightly job | seconds | peak memory MB | parts |",
        "| --- | --- | --- | --- |",
    ]
    for label, job in jobs.items():
        if "skipped" in job:
            lines.append(f"| {label} | skipped: {job['skipped']} | | |")
        elif "failed" in job:
            lines.append(f"| {label} | **failed**: `{job['failed']}` | | |")
        else:
            lines.append(
                f"| {label} | {job['seconds']:.1f} | {job['max_rss_mb']:.0f} | {job_parts(job)} |"
            )
    return [*lines, ""]


def job_parts(job: dict) -> str:
    """The recommendations job's parts: training, every list, the hourly refresh."""
    if "train_s" not in job:
        return ""
    return (
        f"training {job['train_s']:.1f} s; {job['lists']:,} lists {job['lists_s']:.1f} s; "
        f"hourly refresh after views by 1% of them: {job['hourly_lists']:,} lists "
        f"{job['hourly_s']:.1f} s"
    )


def pages_line(pages: list[dict]) -> str:
    slow = [page for page in pages if page["ms"] >= 300 or page["status"] >= 400]
    return (
        f"{len(pages)} admin pages and API endpoints timed (median of 3): "
        + (
            "all under 300 ms."
            if not slow
            else "at or over 300 ms (or failing): "
            + ", ".join(f"`{p['path']}` {p['ms']} ms ({p['status']})" for p in slow)
            + "."
        )
        + " Slowest five: "
        + ", ".join(
            f"`{p['path']}` {p['ms']} ms" for p in sorted(pages, key=lambda p: -p["ms"])[:5]
        )
        + "."
    )


def write_section(results: Path, section: str, body: str) -> None:
    from benchmarks import encoder_throughput

    encoder_throughput.write_section(results, section, body)
    print(body)


def jobs_and_pages_of_store(args: argparse.Namespace) -> None:
    """Steps 3 and 4 on a store an earlier run kept (--keep); its size is read from it."""
    workdir = Path(tempfile.mkdtemp(prefix="scale-store-"))
    env = benchmark_env(args.var or workdir / "var", DATABASE_URL=args.store)
    try:
        counts = {
            name: table_rows(args.store, f"shop_{table}")
            for name, table in [
                ("products", "product"), ("customers", "customer"),
                ("orders", "order"), ("events", "event"),
            ]
        }  # fmt: skip
        print(f"Store {counts}", flush=True)
        manage(env, "migrate", "--no-input")  # kept by an older version of the code
        jobs, pages = jobs_and_pages(env, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lines = [
        f"## Nightly jobs on a kept store at scale {args.scale:g} "
        f"(`benchmarks/scale_data.py --store URL --scale {args.scale:g}`)",
        "",
        f"Run {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs) on "
        f"a store imported by an earlier run: {counts['products']:,} products, "
        f"{counts['customers']:,} customers, {counts['orders']:,} orders, "
        f"{counts['events']:,} events; PostgreSQL.",
        "",
        *jobs_table(jobs, args.job_concurrency),
        pages_line(pages),
    ]
    write_section(args.results, f"{SECTION}_store_{args.scale:g}", "\n".join(lines))
    slow = [page["path"] for page in pages if page["ms"] >= 300 or page["status"] >= 400]
    print("RESULT " + json.dumps({"jobs": jobs, "pages_over_300_ms": slow}))


if __name__ == "__main__":
    main()
