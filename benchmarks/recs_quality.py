"""Recommendation quality: every recommender of the engine under the S3-Rec protocol.

    python benchmarks/recs_quality.py --sequences PATH/Beauty.txt
    python benchmarks/recs_quality.py --movielens PATH/u.data

Protocol (S3-Rec, Zhou et al. 2020; RecBole's full ranking):

1. One sequence per user in time order (Beauty.txt: `user item1 item2 ...`; u.data: each
   user's ratings sorted by timestamp, every rating counts as an interaction).
2. Leave-one-out: the last item is the test target, the second to last the validation
   target, everything before trains. Validation is used for early stopping and tuning only;
   the test numbers are reported. At test time the history includes the validation item.
3. Every item of the catalogue is ranked; items already in the user's history are excluded
   (RecBole style), the target is not; ties are broken by item index.
4. HR@10, NDCG@10, HR@20, NDCG@20 on the test targets, and the wall time of fit (train_s).

The sequential recommender serves the transformer mixed with the co-occurrence model of the
same configuration as the `cooccurrence` row, the weight chosen on the validation targets
(recommendations/engine/sequential.py); its train_s includes fitting that model and choosing
the weight. The table also shows the transformer alone, for comparison; it is not a
recommender of its own, so it is not in the RESULT line.

The content recommender needs item vectors: for Beauty they are the multi-hot attribute
vectors of `Beauty_item2attributes.json` next to the sequences file (when present); for
MovieLens the genre flags of `u.item` next to u.data. Without them it is skipped.

The configurations below were chosen on the validation targets of Beauty. Writes its section
of benchmarks/RESULTS.md and prints `RESULT {json}` as its last line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.encoder_throughput import replace_section  # noqa: E402
from ml.training.devices import configure_cpu_threads  # noqa: E402
from recommendations.engine import create  # noqa: E402
from recommendations.engine.data import (  # noqa: E402
    InteractionData,
    leave_one_out,
    load_item_attributes,
    load_movielens,
    load_sequences,
)
from recommendations.engine.metrics import evaluate  # noqa: E402

SECTION = "recs_quality"
TARGET_NDCG10 = 0.055
TARGET_TRAIN_S = 20 * 60

# Chosen on the validation targets (see the module docstring); the sequential model stops
# early on validation NDCG@10 and is capped at max_train_seconds.
CONFIGS: dict[str, dict] = {
    "popularity": {},
    "trending": {"half_life": 2.0, "window": 10.0},  # in events: no timestamps in Beauty
    "cooccurrence": {
        "window": 5,
        "distance_decay": 1.0,
        "backward_weight": 0.5,
        "normalisation": "cosine",
        "alpha": 0.7,
        "shrink": 40.0,
        "history_length": 5,
        "recency_decay": 0.5,
        "reason": "viewed",
    },
    "content": {"history_length": 3, "recency_decay": 0.5},
    "als": {"factors": 64, "regularization": 1.0, "alpha": 5.0, "iterations": 10},
    "sequential": {
        # 128 wide: 0.0476 test NDCG@10 against 0.0438 at 64 on Beauty (session 18, one run
        # each; valid 0.0631 against 0.0591), in 17 minutes on one CPU thread.
        "hidden": 128,
        "blocks": 2,
        "heads": 1,
        "max_length": 50,
        "dropout": 0.5,
        "lr": 2e-3,
        "batch_size": 64,
        "epochs": 200,
        "eval_every": 2,
        "patience": 2,
        "init_from_cooccurrence": True,
        "init_from_text": False,
        "max_train_seconds": 18 * 60,
        "deterministic": False,
        # Mixed with the co-occurrence model below, weight chosen on validation (session 19,
        # /tmp/runs/fuse.py on one trained model: test NDCG@10 0.0483 alone, 0.0559 at the
        # validation's choice 0.6).
        "cooccurrence_fusion": True,
    },
}
CONFIGS["sequential"]["fusion_cooccurrence"] = {
    k: v for k, v in CONFIGS["cooccurrence"].items() if k != "reason"
}


def movielens_genres(u_data: Path, item_ids: tuple[str, ...]) -> np.ndarray | None:
    """Genre flags of `u.item` (Latin-1, `|`-separated, last 19 columns) for item_ids."""
    path = u_data.with_name("u.item")
    if not path.exists():
        return None
    flags: dict[str, list[float]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        parts = line.split("|")
        if len(parts) >= 20:
            flags[parts[0]] = [float(x) for x in parts[-19:]]
    return np.array([flags.get(i, [0.0] * 19) for i in item_ids], dtype=np.float32)


def read_data(args: argparse.Namespace) -> tuple[str, InteractionData]:
    if args.sequences:
        data = load_sequences(args.sequences)
        attributes = args.sequences.with_name(args.sequences.stem + "_item2attributes.json")
        embeddings = (
            load_item_attributes(attributes, data.item_ids) if attributes.exists() else None
        )
        label = args.sequences.name
    else:
        data = load_movielens(args.movielens)
        embeddings = movielens_genres(args.movielens, data.item_ids)
        label = args.movielens.name
    if embeddings is not None:
        data = InteractionData(
            sequences=data.sequences,
            num_items=data.num_items,
            timestamps=data.timestamps,
            weights=None,  # every interaction counts once, as in the published protocol
            user_ids=data.user_ids,
            item_ids=data.item_ids,
            item_embeddings=embeddings,
        )
    return label, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sequences", type=Path, help="Beauty.txt format")
    source.add_argument("--movielens", type=Path, help="MovieLens u.data")
    parser.add_argument("--only", nargs="*", help="evaluate only these recommenders")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all)")
    parser.add_argument("--device", default="auto", help="for the sequential model")
    parser.add_argument("--max-train-minutes", type=float, default=18.0)
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md"
    )
    args = parser.parse_args()

    threads = configure_cpu_threads(args.threads)
    label, data = read_data(args)
    split = leave_one_out(data)
    print(
        f"{label}: {data.num_users} users, {data.num_items} items, "
        f"{data.num_interactions} interactions; {len(split.test)} evaluated users",
        flush=True,
    )
    configs = dict(CONFIGS)
    configs["sequential"] = {
        **configs["sequential"],
        "device": args.device,
        "num_threads": threads,
        "max_train_seconds": args.max_train_minutes * 60,
    }
    if data.timestamps is not None:  # MovieLens: trending in seconds, last 30 days
        configs["trending"] = {"half_life": 7 * 86400.0, "window": 30 * 86400.0}
    if data.item_embeddings is None:
        configs.pop("content")
    if args.only:
        configs = {name: configs[name] for name in args.only if name in configs}

    item_counts = split.train.item_counts()
    result: dict[str, dict[str, float]] = {}
    rows: list[str] = []
    fusion_text = ""
    for name, config in configs.items():
        model = create(name, **config)
        if name == "sequential":
            model.progress = lambda epoch, total, message: print(f"  {message}", flush=True)
        started = time.perf_counter()
        model.fit(split.train, validation=split.valid)
        train_s = time.perf_counter() - started
        valid = evaluate(model.score_batch, split.valid.histories, split.valid.targets, ks=(10,))
        test = evaluate(
            model.score_batch,
            split.test.histories,
            split.test.targets,
            ks=(10, 20),
            item_counts=item_counts,
        )
        result[name] = {
            "hr@10": round(test["hr@10"], 4),
            "ndcg@10": round(test["ndcg@10"], 4),
            "hr@20": round(test["hr@20"], 4),
            "ndcg@20": round(test["ndcg@20"], 4),
            "train_s": round(train_s, 1),
        }
        extra, alone_row = "", []
        if name == "sequential":
            extra = f" ({len(model.training_log)} epochs)"
            fusion = model.fusion
            alone = evaluate(
                model.transformer_scores, split.test.histories, split.test.targets, ks=(10, 20)
            )
            alone_valid = fusion["valid_ndcg@10_by_weight"]["0"] if fusion else float("nan")
            alone_row.append(
                f"| sequential, transformer alone | {alone['hr@10']:.4f} | "
                f"{alone['ndcg@10']:.4f} | {alone['hr@20']:.4f} | {alone['ndcg@20']:.4f} | "
                f"{alone['mrr']:.4f} | {alone['coverage@20']:.3f} | | {alone_valid:.4f} | |"
            )
            fusion_text = (
                f"Sequential fusion: weight {fusion['weight']:g} on the co-occurrence model, "
                "chosen on the validation targets (valid NDCG@10 by weight: "
                + ", ".join(f"{w} {v:.4f}" for w, v in fusion["valid_ndcg@10_by_weight"].items())
                + f"; {fusion['seconds']:.0f} s)."
                if fusion
                else "Sequential fusion: off."
            )
            print(f"sequential, transformer alone: NDCG@10 {alone['ndcg@10']:.4f}", flush=True)
            print(fusion_text, flush=True)
        rows.append(
            f"| {name} | {test['hr@10']:.4f} | {test['ndcg@10']:.4f} | {test['hr@20']:.4f} | "
            f"{test['ndcg@20']:.4f} | {test['mrr']:.4f} | {test['coverage@20']:.3f} | "
            f"{test['popularity_bias@20']:.3f} | {valid['ndcg@10']:.4f} | {train_s:.1f}{extra} |"
        )
        rows += alone_row
        print(
            f"{name}: HR@10 {test['hr@10']:.4f} NDCG@10 {test['ndcg@10']:.4f} "
            f"HR@20 {test['hr@20']:.4f} NDCG@20 {test['ndcg@20']:.4f} "
            f"(valid NDCG@10 {valid['ndcg@10']:.4f}) train {train_s:.1f} s",
            flush=True,
        )

    verdict = ""
    if "sequential" in result:
        sequential = result["sequential"]
        others = [v["ndcg@10"] for k, v in result.items() if k != "sequential"]
        meets = (
            sequential["ndcg@10"] >= TARGET_NDCG10
            and all(sequential["ndcg@10"] > o for o in others)
            and sequential["train_s"] < TARGET_TRAIN_S
        )
        verdict = (
            f"Target (Beauty): sequential NDCG@10 >= {TARGET_NDCG10}, ahead of every other "
            f"recommender, trained in under 20 minutes on the CPU: "
            f"{'meets' if meets else 'misses'} it on this file."
        )
    body = "\n".join(
        [
            f"## Recommendation quality (`benchmarks/recs_quality.py`, {label})",
            "",
            f"Run {dt.date.today().isoformat()} on {platform.processor() or platform.machine()}"
            f" ({threads} CPU threads), torch {torch.__version__}. {data.num_users} users, "
            f"{data.num_items} items, {data.num_interactions} interactions. S3-Rec protocol: "
            "leave-one-out (last item test, second to last validation), full ranking over all "
            "items, history items excluded, ties broken by item index.",
            "",
            "| recommender | HR@10 | NDCG@10 | HR@20 | NDCG@20 | MRR | coverage@20 | "
            "popularity bias@20 | valid NDCG@10 | train_s |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            "Published (S3-Rec paper, Beauty, same protocol): SASRec NDCG@10 0.0318, S3-Rec "
            "0.0327. "
            + verdict
            + " "
            + fusion_text
            + " The machine may be shared with other work, which slows "
            "training (and so shortens the sequential model's time-capped run).",
        ]
    )
    section = SECTION if args.sequences else f"{SECTION}_movielens"
    document = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(replace_section(document, section, body))
    print(body)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
