"""Intent quality: the product's intent recipe against TF-IDF and frozen-embedding baselines.

    python benchmarks/intent_quality.py --train PATH/banking77/train.csv --test PATH/test.csv

The protocol (issue 7), in one run on the CPU (or the GPU when ML_DEVICE says so):

1. Rows of both files with a text and a label (columns --text-col, --label-col: `text` and
   `category` in BANKING77); the test file is the published test split, never trained on.
2. TF-IDF (word 1-2-grams, min_df 1, sublinear tf) + LogisticRegression, fitted on the
   training rows.
3. Frozen embeddings: the configured encoder (all-MiniLM-L6-v2 by default), mean-pooled and
   L2-normalised (`EncoderEngine.embed`), + LogisticRegression on the training rows.
4. The product's recipe (fine-tuning, then fusion with a TF-IDF + logistic regression model
   whose weight the validation rows choose; ml/training/lexical.py): the parameters go through
   the `finetune_classifier` job's own
   serializer and config construction (task "intent", dataset csv_file), then
   `ml.tasks.classifier_train`, the function the job calls, with the test file as the job's
   held-out `test_path`: it fine-tunes (holding out 10% of the training rows as validation
   rows for early stopping and class offsets; the test rows decide nothing) and then runs
   support's finisher, which chooses the "not sure" threshold on the validation rows. The saved
   model scores the test rows through `EncoderEngine.classify`, the path that serves it.
   Accuracy and macro-F1 are of the top intent of every test row; the share of test rows below
   the threshold, and the accuracy of the others, are reported beside them.

--max-train-rows / --max-test-rows take a stratified slice (for a quick check); the numbers in
RESULTS.md are only comparable when both are absent. Writes its section of
benchmarks/RESULTS.md and prints `RESULT {json}` as its last line.
"""

from __future__ import annotations

import argparse
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
# Importing the job module needs Django's settings, never a database; keep var/ untouched.
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="intent-quality-var-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECTION = "intent_quality"
TARGET_ACCURACY = 0.94


def stratified_slice(
    texts: list[str], labels: list[str], limit: int | None, seed: int
) -> tuple[list[str], list[str]]:
    """At most `limit` rows keeping the label proportions (all rows when limit is None)."""
    if not limit or limit >= len(texts):
        return texts, labels
    from sklearn.model_selection import train_test_split

    kept_texts, _, kept_labels, _ = train_test_split(
        texts, labels, train_size=limit, random_state=seed, stratify=labels
    )
    return list(kept_texts), list(kept_labels)


def logistic_regression():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=3000, C=10.0)


def tfidf_baseline(train_texts, train_labels, test_texts) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), logistic_regression()
    )
    model.fit(train_texts, train_labels)
    return list(model.predict(test_texts))


def frozen_embedding_baseline(engine, train_texts, train_labels, test_texts) -> list[str]:
    model = logistic_regression()
    model.fit(engine.embed(train_texts), train_labels)
    return list(model.predict(engine.embed(test_texts)))


def job_params(args: argparse.Namespace, rows: int) -> dict:
    """The `finetune_classifier` job's validated parameters for this run: the test file is the
    job's held-out `test_path`, so the trainer keeps no test rows of its own."""
    from ml.tasks import FinetuneClassifierParams

    serializer = FinetuneClassifierParams(
        data={
            "task": "intent",
            "dataset": "csv_file",
            "path": str(args.train),
            "test_path": str(args.test),
            "text_column": args.text_col,
            "label_column": args.label_col,
            "max_rows": max(rows, 20),
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "max_length": args.max_length,
            "early_stopping_patience": args.early_stopping_patience,
            "seed": args.seed,
            "label_smoothing": args.label_smoothing,
        }
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, required=True, help="labelled training CSV")
    parser.add_argument("--test", type=Path, required=True, help="labelled test CSV")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="category")
    parser.add_argument("--max-train-rows", type=int, help="stratified slice (quick check)")
    parser.add_argument("--max-test-rows", type=int, help="stratified slice (quick check)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--early-stopping-patience", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--label-smoothing", type=float, default=0.0, help="the job's label_smoothing"
    )
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import django

    django.setup()
    import sklearn
    import torch
    from django.conf import settings
    from transformers.utils import logging as hf_logging

    import support.tasks  # noqa: F401 - registers the intent finisher (the reject threshold)
    from benchmarks.encoder_throughput import replace_section
    from ml.evaluation import named_classification_report, read_labelled_csv
    from ml.tasks import classifier_config, classifier_train
    from ml.training.devices import configure_cpu_threads
    from ml.training.inference import EncoderEngine, EncoderEngineConfig
    from ml.training.lexical import describe_fusion
    from support.intent_engine import accepted_scores, read_reject_threshold

    hf_logging.set_verbosity_error()
    train = read_labelled_csv(args.train, text_col=args.text_col, label_col=args.label_col)
    test = read_labelled_csv(args.test, text_col=args.text_col, label_col=args.label_col)
    train_texts, train_labels = stratified_slice(
        train.texts, train.labels, args.max_train_rows, args.seed
    )
    test_texts, test_labels = stratified_slice(
        test.texts, test.labels, args.max_test_rows, args.seed
    )
    names = sorted(set(train_labels))
    sliced = bool(args.max_train_rows or args.max_test_rows)
    print(
        f"{len(train_texts)} training rows, {len(test_texts)} test rows, {len(names)} intents"
        + (" (slice)" if sliced else ""),
        flush=True,
    )

    def report(predicted: list[str]) -> dict:
        return named_classification_report(test_labels, predicted, names)

    started = time.perf_counter()
    tfidf = report(tfidf_baseline(train_texts, train_labels, test_texts))
    print(f"TF-IDF + LR: accuracy {tfidf['accuracy']:.4f} ({time.perf_counter() - started:.0f} s)")

    config = classifier_config(job_params(args, len(train_texts)))
    threads = configure_cpu_threads(config.num_threads)
    started = time.perf_counter()
    base = EncoderEngine(settings.ML_ENCODER, EncoderEngineConfig(device=config.device))
    frozen = report(frozen_embedding_baseline(base, train_texts, train_labels, test_texts))
    del base
    print(
        f"Frozen embeddings + LR: accuracy {frozen['accuracy']:.4f} "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )

    print(f"Fine-tuning {settings.ML_ENCODER} on {len(train_texts)} rows: {config}", flush=True)
    last_report = [0.0]

    def progress(step: int, total: int, message: str) -> None:
        now = time.perf_counter()
        if now - last_report[0] > 60 or step == total:
            last_report[0] = now
            print(f"  [{(now - started) / 60:5.1f} min] {message}", flush=True)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="intent-quality-") as tmp:
        started = time.perf_counter()
        trained = classifier_train(
            train_texts,
            train_labels,
            config,
            task="intent",
            output_dir=Path(tmp) / "model",
            progress=progress,
            test=(test_texts, test_labels),
        )
        train_minutes = (time.perf_counter() - started) / 60
        load_after = os.getloadavg()[0]
        engine = EncoderEngine(
            trained.output_dir,
            EncoderEngineConfig(max_length=config.max_length, device=config.device),
        )
        classified = engine.classify(test_texts)
        threshold = read_reject_threshold(trained.output_dir)
    tuned = report(classified.labels)
    fusion = trained.metrics.get("lexical_fusion")
    confidences = classified.probabilities.max(axis=1)
    hits = [p == t for p, t in zip(classified.labels, test_labels, strict=True)]
    at_threshold = accepted_scores(confidences, hits, threshold if threshold is not None else 0.0)

    result = {
        "accuracy": round(tuned["accuracy"], 4),
        "macro_f1": round(tuned["macro_f1"], 4),
        "tfidf_accuracy": round(tfidf["accuracy"], 4),
        "tfidf_macro_f1": round(tfidf["macro_f1"], 4),
        "frozen_accuracy": round(frozen["accuracy"], 4),
        "frozen_macro_f1": round(frozen["macro_f1"], 4),
        "not_sure_share": round(1 - at_threshold["coverage"], 4),
        "accepted_accuracy": round(at_threshold["precision"], 4),
        "train_minutes": round(train_minutes, 1),
        "fusion_weight": fusion["weight"] if fusion else 0.0,
        "slice": sliced,
    }
    verdict = "meets" if tuned["accuracy"] >= TARGET_ACCURACY else "misses"
    body = "\n".join(
        [
            "## Intent quality (`benchmarks/intent_quality.py`)",
            "",
            f"Run {dt.date.today().isoformat()} on {platform.processor() or platform.machine()} "
            f"({config.device}, {threads} CPU threads), torch {torch.__version__}, scikit-learn "
            f"{sklearn.__version__}. {args.train.name} / {args.test.name}: "
            f"{len(train_texts)} training rows, {len(test_texts)} test rows, {len(names)} "
            "intents"
            + (
                " (a stratified SLICE for a quick check: not comparable with the target)."
                if sliced
                else "."
            ),
            "",
            "| model | accuracy | macro-F1 |",
            "| --- | --- | --- |",
            f"| fine-tuned {Path(str(settings.ML_ENCODER)).name or 'encoder'} (job recipe) | "
            f"{tuned['accuracy']:.4f} | {tuned['macro_f1']:.4f} |",
            f"| frozen mean-pooled embeddings + logistic regression | {frozen['accuracy']:.4f} "
            f"| {frozen['macro_f1']:.4f} |",
            f"| TF-IDF + logistic regression | {tfidf['accuracy']:.4f} | {tfidf['macro_f1']:.4f} |",
            "",
            '"Not sure" threshold (chosen on the recipe\'s validation rows): '
            + (f"{threshold:.4f}" if threshold is not None else "none")
            + f"; {1 - at_threshold['coverage']:.1%} of test rows fall below it, the others "
            f"are {at_threshold['precision']:.4f} accurate.",
            "",
            f"Fine-tuning: {len(train_texts)} rows (10% kept for validation; the test file is "
            f"the job's held-out test_path), {trained.metrics['epochs_run']} epoch(s) run, batch "
            f"{config.batch_size}, lr {config.lr}, max_length {config.max_length}: "
            f"{train_minutes:.1f} min ({trained.samples_per_s:.1f} samples/s). Target accuracy "
            f">= {TARGET_ACCURACY}: {verdict} it. Load average {load_before:.1f} before "
            f"training, {load_after:.1f} after.",
            "",
            describe_fusion(fusion),
        ]
    )
    document = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(replace_section(document, SECTION, body))
    print(body)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
