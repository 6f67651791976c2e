"""Ad copy the generator writes for the demo store's products: how much passes the checks, why
the rest is rejected, how diverse it is, and how long a variant takes on the CPU.

    flock /tmp/cpu-heavy.lock python benchmarks/adcopy_quality.py VAR_DIR \
        [--products 50] [--variants 2] [--channel display] [--lora-epochs 0]

VAR_DIR is the data: a project var folder whose database holds a demo store (built there with
`manage.py migrate` and `manage.py seed_demo --customers 300 --products 80` when it has
none) and whose model-cache holds the converted generator (converted on first use, ~1 GB).

The protocol (issue 6): for `--products` products of the store (in stock, by id), the product's
prompt as the generation job builds it (`marketing.services.adcopy_prompt`: facts, attributes,
price, category, aspects reviews praise, the active brand voice, the channel's limits and up to
three approved variants as examples), `--variants` completions each from the configured
generator (sampling, temperature 0.8, seeded), read and checked exactly as the job does
(`marketing.copy_generation.review_completions`: unreadable output rejected; channel limits
repaired by trimming; words to avoid; numbers and claims against the facts; near-duplicates
by the encoder's cosine similarity). Reported: the share that passes every check, rejections per
reason (a variant with two reasons counts under both), distinct-1 and distinct-2 of the copy
that was read, and generation seconds per variant (wall clock of the batched generate calls,
model loading excluded).

Baseline in the same run: the store's written copy (the approved variants that are the
prompt's examples, checked the same way) sets what "passing" looks like for copy people wrote;
with `--lora-epochs N` the brand-voice LoRA is trained for N epochs on the approved copy, as
the `brand_voice_lora` job trains it (its parameter serializer and config, then
`marketing.services.brand_voice_train`: held-out loss before and after), and the same prompts
are generated again with it: before / after side by side.

Writes its section of benchmarks/RESULTS.md and prints `RESULT {json}` as its last line.
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
from pathlib import Path

SECTION = "adcopy_quality"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def django_setup(var_dir: Path) -> None:
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def ensure_demo_store(*, customers: int, products: int) -> None:
    from django.core.management import call_command

    from shop.demo import demo_store_exists

    call_command("migrate", verbosity=0, interactive=False)
    if not demo_store_exists():
        print(f"Building a demo store ({customers} customers, {products} products)...")
        call_command("seed_demo", customers=customers, products=products, days=120)
        call_command("marketing_demo")


def measure(*, writer, prompts, facts, config, variants, embed, params) -> dict:
    """Generate `variants` completions per prompt, read and check them; the measures."""
    from marketing.copy_generation import RejectionTally, distinct_n, review_completions

    tally = RejectionTally()
    read_texts: list[str] = []
    started = time.perf_counter()
    completions = writer.write([p for p in prompts for _ in range(variants)], params)
    seconds = time.perf_counter() - started
    examples, rejected = [], []
    for index, product_facts in enumerate(facts):
        batch = completions[index * variants : (index + 1) * variants]
        for _parsed, result in review_completions(
            batch, facts=product_facts, config=config, embed=embed
        ):
            if result is None:
                tally.add(passed=False, reasons=["unreadable"])
                continue
            read_texts.append(result.variant.text())
            tally.add(
                passed=result.outcome != "rejected",
                reasons=[issue.code for issue in result.reasons],
            )
            if result.outcome != "rejected" and len(examples) < 3:
                examples.append(result.variant)
            elif result.outcome == "rejected" and len(rejected) < 3:
                rejected.append((result.variant, [issue.message for issue in result.reasons]))
    return {
        "variants": tally.total,
        "pass_rate": tally.pass_rate,
        "rejected_by_reason": {
            code: count / tally.total for code, count in sorted(tally.by_reason.items())
        },
        "distinct_1": distinct_n(read_texts, 1),
        "distinct_2": distinct_n(read_texts, 2),
        "seconds_per_variant": seconds / max(tally.total, 1),
        "examples": examples,
        "rejected_examples": rejected,
    }


def written_baseline(*, config) -> dict:
    """The store's approved copy (every channel), checked as generated copy is here."""
    from marketing import selectors
    from marketing.copy_checks import check_variants
    from marketing.copy_generation import RejectionTally, distinct_n

    tally = RejectionTally()
    texts = []
    for example in selectors.approved_copy_with_facts(limit=500):
        (result,) = check_variants([example.copy], facts=example.facts.text(), config=config)
        tally.add(passed=result.outcome != "rejected", reasons=[i.code for i in result.reasons])
        texts.append(example.copy.text())
    return {
        "variants": tally.total,
        "pass_rate": tally.pass_rate,
        "distinct_2": distinct_n(texts, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("var_dir", type=Path, help="a var folder with (or for) a demo store")
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--variants", type=int, default=2, help="completions per product")
    parser.add_argument("--channel", default="display")
    parser.add_argument("--max-new-tokens", type=int, default=72)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--lora-epochs", type=int, default=0, help="train the brand-voice LoRA this long, 0: skip"
    )
    parser.add_argument("--lora-batch-size", type=int, default=4)
    parser.add_argument("--lora-lr", type=float, default=5e-4)
    parser.add_argument("--demo-customers", type=int, default=300)
    parser.add_argument("--demo-products", type=int, default=80)
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    if args.products < 1 or args.variants < 1:
        parser.error("--products and --variants must be at least 1")

    django_setup(args.var_dir.resolve())
    ensure_demo_store(customers=args.demo_customers, products=args.demo_products)

    import torch
    from django.conf import settings

    from marketing import selectors, services
    from marketing.copy_generation import STOP_STRINGS
    from marketing.models import Campaign
    from ml.training.inference import GenerationParams
    from shop.models import Product

    settings.ML_DEVICE = "cpu"  # the issue asks for CPU seconds
    campaign = Campaign(name="Benchmark", slug="benchmark", channel=args.channel)
    product_ids = list(
        Product.objects.filter(stock__gt=0).order_by("pk").values_list("pk", flat=True)
    )[: args.products]
    if not product_ids:
        raise SystemExit("The store has no product in stock.")
    prompts = [services.adcopy_prompt(campaign=campaign, product_id=pk) for pk in product_ids]
    facts = [selectors.copy_facts(product_id=pk, campaign=campaign) for pk in product_ids]
    config = selectors.copy_check_config(channel=args.channel, repair=True)
    params = GenerationParams(
        max_new_tokens=args.max_new_tokens,
        temperature=0.8,
        top_p=0.95,
        seed=args.seed,
        stop=STOP_STRINGS,
        batch_size=args.batch_size,
    )
    embed = services.sentence_embedder()
    loading = time.perf_counter()
    writer = services.copy_writer()
    print(f"Generator {writer.label} loaded in {time.perf_counter() - loading:.1f} s")
    measure_kwargs = {
        "prompts": prompts,
        "facts": facts,
        "config": config,
        "variants": args.variants,
        "embed": embed,
        "params": params,
    }
    base = measure(writer=writer, **measure_kwargs)
    generator_name = Path(str(writer.engine.source)).name
    del writer  # the base generator's memory, before the LoRA trains
    print(f"Base generator: pass rate {base['pass_rate']:.1%}, "
          f"{base['seconds_per_variant']:.2f} s per variant")  # fmt: skip
    written = written_baseline(config=config)

    tuned = None
    lora_note = "Not run here (`--lora-epochs 0`)."
    if args.lora_epochs:
        from marketing.tasks import BrandVoiceLoraParams, brand_voice_config

        job_params = BrandVoiceLoraParams(
            data={"epochs": args.lora_epochs, "batch_size": args.lora_batch_size,
                  "lr": args.lora_lr, "promote": False}
        )  # fmt: skip
        job_params.is_valid(raise_exception=True)
        lora_params = dict(job_params.validated_data)
        lora_config = brand_voice_config(lora_params)
        print(f"Training the brand-voice LoRA: {lora_config}", flush=True)
        with tempfile.TemporaryDirectory(prefix="adcopy-lora-") as tmp:
            version, _promoted = services.brand_voice_train(
                config=lora_config,
                max_rows=lora_params["max_rows"],
                promote=False,
                output_dir=Path(tmp) / "adapter",
                progress=lambda step, total, message: print(f"  {message}", flush=True),
            )
            from ml.training.inference import GeneratorEngine

            adapted = GeneratorEngine(
                settings.ML_GENERATOR, cache_dir=settings.ML_CACHE_DIR, device="cpu",
                adapter=Path(tmp) / "adapter",
            )  # fmt: skip
        metrics = version.metrics
        tuned = measure(writer=services.CopyWriter(engine=adapted), **measure_kwargs)
        lora_note = (
            f"Brand-voice LoRA (the brand_voice_lora job's recipe: {lora_config.epochs} epochs, "
            f"batch {lora_config.batch_size}, lr {lora_config.lr}, rank {lora_config.rank}): "
            f"{metrics['steps']} steps on {metrics['rows']['train']} approved "
            f"variants, held-out loss {metrics['eval_loss_before']:.3f} -> "
            f"{metrics['eval_loss_after']:.3f} ({metrics['rows']['held_out']} held out)."
        )

    def row(name: str, found: dict) -> str:
        return (
            f"| {name} | {found['variants']} | **{found['pass_rate']:.1%}** | "
            f"{found['distinct_1']:.3f} | {found['distinct_2']:.3f} | "
            f"{found['seconds_per_variant']:.2f} |"
        )

    reasons = sorted(
        set(base["rejected_by_reason"]) | set((tuned or {}).get("rejected_by_reason", {}))
    )
    reason_rows = [
        f"| {code} | {base['rejected_by_reason'].get(code, 0):.1%} |"
        + (f" {tuned['rejected_by_reason'].get(code, 0):.1%} |" if tuned else "")
        for code in reasons
    ]

    def quoted(variant) -> str:
        return f"> {variant.headline} / {variant.body} / {variant.call_to_action}"

    sample = [quoted(v) for v in base["examples"]]
    rejected_sample = [
        f"{quoted(v)}  \n> (rejected: {' '.join(why)})" for v, why in base["rejected_examples"]
    ]
    body = [
        "## Ad copy quality (`benchmarks/adcopy_quality.py`)",
        "",
        f"Run {dt.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs, "
        f"torch {torch.__version__}, CPU only): {len(product_ids)} demo-store products x "
        f"{args.variants} variants, channel `{args.channel}` (limits "
        f"{config.limits.headline}/{config.limits.body}/{config.limits.call_to_action} "
        f"characters), generator `{generator_name}`, sampling at "
        f"temperature 0.8, at most {args.max_new_tokens} new tokens, batches of "
        f"{args.batch_size}. Checked as the generation job checks (repairs by trimming "
        "count as passing).",
        "",
        "| generator | variants | pass rate | distinct-1 | distinct-2 | s / variant (CPU) |",
        "|---|---|---|---|---|---|",
        row("base", base),
        *([row("brand-voice LoRA", tuned)] if tuned else []),
        "",
        f"Baseline: the store's {written['variants']} approved variants (people wrote them; "
        f"the prompt's examples) pass the same checks at {written['pass_rate']:.1%} "
        f"(distinct-2 {written['distinct_2']:.3f}).",
        "",
        "| rejected for | share of variants |" + (" with LoRA |" if tuned else ""),
        "|---|---|" + ("---|" if tuned else ""),
        *reason_rows,
        "",
        lora_note,
        "",
        "Examples that passed:",
        "",
        *sample,
        "",
        "Examples that were rejected, with the checks' reasons:",
        "",
        *rejected_sample,
    ]
    from benchmarks.encoder_throughput import replace_section

    text = "\n".join(body)
    document = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(replace_section(document, SECTION, text))
    print(text)
    result = {
        "pass_rate": round(base["pass_rate"], 4),
        "seconds_per_variant": round(base["seconds_per_variant"], 3),
        "distinct_2": round(base["distinct_2"], 4),
        "variants": base["variants"],
        "written_pass_rate": round(written["pass_rate"], 4),
    }
    if tuned:
        result.update(
            lora_pass_rate=round(tuned["pass_rate"], 4),
            lora_eval_loss_before=round(version.metrics["eval_loss_before"], 4),
            lora_eval_loss_after=round(version.metrics["eval_loss_after"], 4),
            lora_distinct_2=round(tuned["distinct_2"], 4),
        )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
