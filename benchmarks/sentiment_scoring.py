"""Sentiment scoring speed: the `sentiment_score` job end to end against the raw engine.

    python benchmarks/sentiment_scoring.py --csv PATH/Womens_Clothing_E-Commerce_Reviews.csv

In one run, on the CPU (or the GPU when ML_DEVICE says so):

1. A throw-away store (SQLite under a temporary VAR_DIR, unless DATABASE_URL is set) with
   --reviews reviews from the CSV (title and text), and a sentiment model registered and
   promoted to champion: --model DIR, or else the packaged encoder fine-tuned for a few
   steps (a random classification head would put nearly every text under the int8
   re-scoring margin, which is not what a trained model does).
2. Engine: `EncoderEngine.classify` on the review texts (the same texts the job reads, the
   same engine configuration the job loads), after a warm-up: texts/s.
3. Job: a `sentiment_score` job over every review, run in this process through its Celery
   task (job row lifecycle, reading chunks from the database, classifying, upserting the
   scores, progress), with the champion already loaded as in a running worker: reviews/s.
   Each side runs --rounds times, alternating; the fastest round counts.

The job should reach at least 0.8x the engine: the database path must not be the bottleneck.
Writes its section of benchmarks/RESULTS.md and prints `RESULT {json}` as its last line.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="sentiment-scoring-var-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECTION = "sentiment_scoring"
TARGET_RATIO = 0.8


def read_reviews(path: Path, limit: int) -> list[tuple[str, str, int]]:
    """(title, text, rating) of the first `limit` rows with a review text."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("Review Text") or "").strip()
            if text:
                rows.append(((row.get("Title") or "").strip(), text, int(row["Rating"])))
            if len(rows) >= limit:
                break
    return rows


def quick_model(rows: list[tuple[str, str, int]], output: Path) -> Path:
    """The packaged encoder fine-tuned for a few steps (margins like a trained model's)."""
    from ml.training.classification import ClassifierTrainConfig, train_classifier
    from ml.training.data import sentiment_from_rating

    texts = [f"{title}. {text}" if title else text for title, text, _ in rows]
    labels = [sentiment_from_rating(rating) for _, _, rating in rows]
    config = ClassifierTrainConfig(
        epochs=1, batch_size=32, lr=1e-4, max_length=96, max_steps=25, device="cpu", seed=0
    )
    return train_classifier(texts, labels, config, None, output).output_dir


def build_store(rows: list[tuple[str, str, int]], model_dir: Path):
    """Migrate, add one product with the reviews, register and promote the model."""
    from django.core.management import call_command
    from django.utils import timezone

    from ml import services as ml_services
    from shop.models import Product, Review

    call_command("migrate", verbosity=0, interactive=False)
    product = Product.objects.create(sku="BENCH-1", title="Benchmark dress", price="10.00")
    now = timezone.now()
    Review.objects.bulk_create(
        (
            Review(product=product, rating=rating, title=title, text=text, created_at=now)
            for title, text, rating in rows
        ),
        batch_size=2000,
    )
    version = ml_services.modelversion_register(
        task="sentiment",
        source_dir=model_dir,
        base_model="benchmark",
        metrics={},
        data_summary={},
        hyperparameters={},
    )
    ml_services.alias_promote(version_id=version.pk)
    return version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, required=True, help="Women's clothing reviews CSV")
    parser.add_argument("--reviews", type=int, default=4000, help="reviews to score")
    parser.add_argument("--model", type=Path, help="a fine-tuned sentiment model directory")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds per side")
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import django

    django.setup()
    import torch
    from django.conf import settings
    from transformers.utils import logging as hf_logging

    from benchmarks.encoder_throughput import replace_section
    from config.celery import app
    from insights.models import ReviewSentiment
    from insights.selectors.sentiment import sentiment_engine_load
    from insights.services.sentiment import sentiment_champion_served
    from ml import services as ml_services
    from ml.models import Job
    from ml.selectors import artifact_local_dir
    from ml.training.devices import configure_cpu_threads
    from shop.selectors import review_texts_for_scoring

    hf_logging.set_verbosity_error()
    threads = configure_cpu_threads()
    rows = read_reviews(args.csv, args.reviews)
    with tempfile.TemporaryDirectory(prefix="sentiment-scoring-model-") as tmp:
        model_dir = args.model
        if model_dir is None:
            print("Fine-tuning a quick model (25 steps)...", flush=True)
            model_dir = quick_model(rows[:1000], Path(tmp) / "model")
        print(f"Building a store with {len(rows)} reviews...", flush=True)
        version = build_store(rows, model_dir)
    texts = [text for _pk, text in review_texts_for_scoring(limit=len(rows) + 1)]

    engine = sentiment_engine_load(artifact_local_dir(version=version), version)
    engine.classify(texts[:64])  # warm-up
    started = time.perf_counter()
    served = sentiment_champion_served()  # what a worker has loaded after its first job
    cold_load_s = time.perf_counter() - started
    served.model.classify(texts[:64])
    task = app.tasks["ml.job.sentiment_score"]

    def run_engine() -> float:
        started = time.perf_counter()
        engine.classify(texts)
        return time.perf_counter() - started

    def run_job() -> float:
        ReviewSentiment.objects.all().delete()
        job = ml_services.job_submit(kind="sentiment_score", params={})
        started = time.perf_counter()
        task.apply(args=[job.pk])
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        if job.status != Job.Status.SUCCEEDED or job.metrics.get("scored") != len(texts):
            raise SystemExit(f"The scoring job did not score every review: {job.error}")
        return seconds

    print(f"Scoring {len(texts)} reviews, {args.rounds} rounds each...", flush=True)
    engine_s, job_s = float("inf"), float("inf")
    for _ in range(args.rounds):
        engine_s = min(engine_s, run_engine())
        job_s = min(job_s, run_job())
    result = {
        "job_texts_per_s": round(len(texts) / job_s, 1),
        "engine_texts_per_s": round(len(texts) / engine_s, 1),
        "ratio": round(engine_s / job_s, 3),
    }
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    verdict = "meets" if result["ratio"] >= TARGET_RATIO else "misses"
    body = "\n".join(
        [
            "## Sentiment scoring (`benchmarks/sentiment_scoring.py`)",
            "",
            f"Run {dt.date.today().isoformat()} on {platform.processor() or platform.machine()} "
            f"({engine.device}, {threads} CPU threads), torch {torch.__version__}, database "
            f"{database}; {len(texts)} Women's clothing reviews, model "
            f"{args.model.name if args.model else 'packaged all-MiniLM-L6-v2 fine-tuned 25 steps'}"
            ".",
            "",
            "| measure | value |",
            "| --- | --- |",
            f"| EncoderEngine.classify on the review texts | {result['engine_texts_per_s']} "
            "texts/s |",
            f"| `sentiment_score` job end to end (read, score, upsert, progress) | "
            f"{result['job_texts_per_s']} reviews/s |",
            f"| job / engine | {result['ratio']} (target >= {TARGET_RATIO}: {verdict} it) |",
            f"| loading the champion once per worker (not in the job time) | {cold_load_s:.1f} s |",
            "",
            f"Best of {args.rounds} alternating rounds per side; the machine may be shared.",
        ]
    )
    document = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(replace_section(document, SECTION, body))
    print(body)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
