"""Device check: a short fine-tune and a batch inference pass on the accelerator, against the CPU.

    python benchmarks/gpu_check.py PATH/Womens_Clothing_E-Commerce_Reviews.csv [--device auto]

On CUDA: fine-tunes the packaged encoder on a small balanced slice on the GPU (bf16/fp16
autocast) and on the CPU with the same seed, and checks that the two runs' test accuracy
agree within --metric-tolerance; then classifies and embeds held-out reviews with
EncoderEngine on the GPU and in float32 on the CPU and checks label agreement and
probability / embedding differences. On a machine without a GPU the "device" is the CPU:
the same code runs and compares the int8 CPU engine with the float32 one.

Prints the throughputs and a `RESULT {json}` line; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from ml.training.classification import ClassifierTrainConfig, train_classifier  # noqa: E402
from ml.training.data import read_rated_reviews, sentiment_from_rating  # noqa: E402
from ml.training.devices import resolve_device  # noqa: E402
from ml.training.inference import EncoderEngine, EncoderEngineConfig  # noqa: E402


def balanced_rows(path: Path, per_class: int, seed: int) -> tuple[list[str], list[str]]:
    reviews = [r for r in read_rated_reviews(path) if r.rating != 3]
    rng = random.Random(seed)
    rows = rng.sample([r for r in reviews if r.rating >= 4], per_class)
    rows += rng.sample([r for r in reviews if r.rating <= 2], per_class)
    return [r.text for r in rows], [sentiment_from_rating(r.rating) for r in rows]


def timed_classify(
    engine: EncoderEngine, texts: list[str], rounds: int = 2
) -> tuple[float, object]:
    """Best texts/s over `rounds` passes, after a warm-up (CUDA kernels, allocator, threads)."""
    engine.classify(texts[:128])
    best, result = 0.0, None
    for _ in range(rounds):
        started = time.perf_counter()
        result = engine.classify(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reviews_csv", type=Path)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--per-class", type=int, default=250, help="training rows per class")
    parser.add_argument("--texts", type=int, default=1000, help="texts to classify")
    parser.add_argument("--metric-tolerance", type=float, default=0.1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    device = resolve_device(args.device)
    texts, labels = balanced_rows(args.reviews_csv, args.per_class, seed=0)
    held_out = [r.text for r in read_rated_reviews(args.reviews_csv)[-args.texts :]]
    config = ClassifierTrainConfig(epochs=1, batch_size=16, lr=2e-4, seed=0, device=str(device))
    checks: dict[str, bool] = {}
    with tempfile.TemporaryDirectory() as tmp:
        on_device = train_classifier(texts, labels, config, None, Path(tmp) / "device")
        if device.type == "cpu":
            on_cpu = on_device
        else:
            cpu_config = ClassifierTrainConfig(**{**config.__dict__, "device": "cpu"})
            on_cpu = train_classifier(texts, labels, cpu_config, None, Path(tmp) / "cpu")
        accuracy_gap = abs(
            on_device.metrics["test"]["accuracy"] - on_cpu.metrics["test"]["accuracy"]
        )
        checks["fine-tune test accuracy matches the CPU run"] = (
            accuracy_gap <= args.metric_tolerance
        )

        model_dir = on_device.output_dir
        fast = EncoderEngine(model_dir, EncoderEngineConfig(device=str(device)))
        exact = EncoderEngine(model_dir, EncoderEngineConfig(device="cpu", quantize="none"))
        fast_rate, fast_result = timed_classify(fast, held_out)
        exact_rate, exact_result = timed_classify(exact, held_out)
        agreement = float(
            np.mean([a == b for a, b in zip(fast_result.labels, exact_result.labels, strict=True)])
        )
        probability_gap = float(
            np.abs(fast_result.probabilities - exact_result.probabilities).max()
        )
        cosine = float((fast.embed(held_out[:200]) * exact.embed(held_out[:200])).sum(1).min())
        # bf16/fp16 logits move more than int8-with-re-scoring ones do.
        needed = 0.98 if fast.half_dtype is not None else 0.99
        checks[f"labels agree with CPU float32 on >= {needed:.0%} of texts"] = agreement >= needed
        checks["embeddings: cosine to CPU float32 >= 0.98"] = cosine >= 0.98

    result = {
        "device": str(device),
        "finetune_samples_per_s_device": round(on_device.samples_per_s, 1),
        "finetune_samples_per_s_cpu": round(on_cpu.samples_per_s, 1),
        "test_accuracy_device": round(on_device.metrics["test"]["accuracy"], 4),
        "test_accuracy_cpu": round(on_cpu.metrics["test"]["accuracy"], 4),
        "classify_texts_per_s_device": round(fast_rate, 1),
        "classify_texts_per_s_cpu_fp32": round(exact_rate, 1),
        "label_agreement": round(agreement, 4),
        "max_probability_gap": round(probability_gap, 4),
        "min_embedding_cosine": round(cosine, 4),
    }
    for name, passed in checks.items():
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    print("RESULT " + json.dumps(result))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
