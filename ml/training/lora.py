"""LoRA fine-tuning of the generator on prompt/completion pairs (ad copy, support answers).

Only the completion tokens count in the loss: the model learns to answer, not to repeat
prompts. A held-out slice is scored before and after training, so every adapter records
whether it actually improved on the base model (loss and perplexity).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ml.training.batching import bucketed_batches, length_sorted_batches
from ml.training.classification import ProgressCallback
from ml.training.devices import autocast, autocast_dtype, configure_cpu_threads, resolve_device
from ml.training.loading import load_generator
from ml.training.metrics import perplexity
from ml.training.reproducibility import seeded

IGNORE_INDEX = -100  # label value that cross-entropy skips (prompt and padding tokens)
PROGRESS_REPORTS = 50


@dataclass(frozen=True)
class LoraTrainConfig:
    """Hyper-parameters of one LoRA run; saved as training_config.json."""

    epochs: int = 1
    batch_size: int = 8
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05
    max_length: int = 256
    grad_clip: float = 1.0
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    eval_fraction: float = 0.1
    eval_batch_size: int = 8
    seed: int = 0
    device: str = "auto"
    max_steps: int | None = None
    mixed_precision: bool = True
    deterministic: bool = True
    num_threads: int | None = None

    def __post_init__(self) -> None:
        if min(self.epochs, self.batch_size, self.eval_batch_size, self.rank) < 1:
            raise ValueError("epochs, batch_size, eval_batch_size and rank must be at least 1.")
        if self.lr <= 0 or self.alpha <= 0:
            raise ValueError("lr and alpha must be positive.")
        if not 0 < self.eval_fraction < 1:
            raise ValueError("eval_fraction must lie in (0, 1).")
        if not 0 <= self.dropout < 1 or not 0 <= self.warmup_ratio < 1:
            raise ValueError("dropout and warmup_ratio must lie in [0, 1).")
        if self.max_length < 4:
            raise ValueError("max_length must be at least 4.")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be at least 1 when given.")
        if not self.target_modules:
            raise ValueError("target_modules must name at least one module.")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LoraTrainConfig:
        """Build from job parameters, rejecting unknown keys; lists become tuples."""
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"Unknown LoRA training parameters: {', '.join(unknown)}.")
        cleaned = dict(values)
        if "target_modules" in cleaned:
            cleaned["target_modules"] = tuple(cleaned["target_modules"])
        return cls(**cleaned)


@dataclass(frozen=True)
class LoraTrainResult:
    """What a run produced. `metrics` is also written to output_dir/metrics.json."""

    output_dir: Path
    metrics: dict[str, Any]
    samples_per_s: float
    steps: int
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class _Example:
    input_ids: list[int]
    labels: list[int]


def build_example(tokenizer: Any, prompt: str, completion: str, max_length: int) -> _Example:
    """Token ids of prompt + completion + EOS, with labels masked (-100) over the prompt.

    The two parts are tokenised separately so the mask boundary is exact. Over-long pairs
    keep the whole completion (cut to max_length - 1 if even that is too long) and the end
    of the prompt.
    """
    prompt_ids = list(tokenizer(prompt, add_special_tokens=True)["input_ids"])
    completion_ids = list(tokenizer(completion, add_special_tokens=False)["input_ids"])
    if tokenizer.eos_token_id is not None:
        completion_ids.append(int(tokenizer.eos_token_id))
    completion_ids = completion_ids[: max_length - 1]
    room = max_length - len(completion_ids)
    prompt_ids = prompt_ids[-room:] if room > 0 else []
    return _Example(
        input_ids=prompt_ids + completion_ids,
        labels=[IGNORE_INDEX] * len(prompt_ids) + completion_ids,
    )


def _collate(
    examples: Sequence[_Example], pad_id: int, device: torch.device
) -> dict[str, torch.Tensor]:
    longest = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), longest), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), longest), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), longest), dtype=torch.long)
    for row, example in enumerate(examples):
        n = len(example.input_ids)
        ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        mask[row, :n] = 1
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    return {k: v.to(device) for k, v in batch.items()}


def _token_loss(model: Any, batch: dict[str, torch.Tensor], device: torch.device, amp: bool):
    """Summed cross-entropy over the completion tokens of the batch, and their count."""
    with autocast(device, amp):
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    # Position t predicts token t+1.
    shifted = logits[:, :-1, :].float()
    targets = batch["labels"][:, 1:]
    loss_sum = torch.nn.functional.cross_entropy(
        shifted.reshape(-1, shifted.shape[-1]),
        targets.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )
    return loss_sum, int((targets != IGNORE_INDEX).sum())


def evaluate_loss(
    model: Any,
    examples: Sequence[_Example],
    pad_id: int,
    *,
    device: torch.device,
    batch_size: int,
    mixed_precision: bool = True,
) -> float:
    """Mean cross-entropy per completion token over `examples` (natural log)."""
    model.eval()
    total, tokens = 0.0, 0
    lengths = [len(e.input_ids) for e in examples]
    with torch.inference_mode():
        for batch in length_sorted_batches(lengths, batch_size):
            loss_sum, count = _token_loss(
                model,
                _collate([examples[i] for i in batch], pad_id, device),
                device,
                mixed_precision,
            )
            total += float(loss_sum)
            tokens += count
    return total / tokens if tokens else float("nan")


def train_lora(
    prompts: Sequence[str],
    completions: Sequence[str],
    config: LoraTrainConfig,
    base_model: str | Path | None,
    output_dir: str | Path,
    progress: ProgressCallback | None = None,
    *,
    cache_dir: str | Path | None = None,
) -> LoraTrainResult:
    """Train a LoRA adapter for `base_model` (None/"default": packaged Gemma 3 270M).

    A seeded eval_fraction of the pairs is held out; its per-token loss and perplexity are
    measured before and after training. Side effects: writes adapter_model.safetensors,
    adapter_config.json, the tokenizer, metrics.json and training_config.json to
    output_dir (absent or empty); may convert the packaged GGUF into cache_dir on first use.
    Exceptions raised by `progress` propagate (cooperative cancel).
    """
    from peft import LoraConfig, get_peft_model
    from transformers import get_linear_schedule_with_warmup

    if len(prompts) != len(completions):
        raise ValueError(f"Got {len(prompts)} prompts but {len(completions)} completions.")
    if len(prompts) < 2:
        raise ValueError("LoRA training needs at least two prompt/completion pairs.")
    if any(not isinstance(c, str) or not c.strip() for c in completions):
        raise ValueError("Every completion must be a non-empty string.")
    out = Path(output_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"Output directory {out} is not empty; refusing to mix runs.")
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda step, total, message: None)
    device = resolve_device(config.device)
    if device.type == "cpu":
        configure_cpu_threads(config.num_threads)

    with seeded(config.seed, device, config.deterministic):
        loaded = load_generator(base_model, cache_dir=cache_dir, device=device)
        tokenizer = loaded.tokenizer
        pad_id = int(tokenizer.pad_token_id)
        examples = [
            build_example(tokenizer, p, c, config.max_length)
            for p, c in zip(prompts, completions, strict=True)
        ]
        order = list(range(len(examples)))
        rng = random.Random(config.seed)
        rng.shuffle(order)
        n_eval = min(len(order) - 1, max(1, round(len(order) * config.eval_fraction)))
        held_out = [examples[i] for i in order[:n_eval]]
        train = [examples[i] for i in order[n_eval:]]
        eval_kwargs = {
            "device": device,
            "batch_size": config.eval_batch_size,
            "mixed_precision": config.mixed_precision,
        }

        steps_per_epoch = math.ceil(len(train) / config.batch_size)
        total_steps = config.epochs * steps_per_epoch
        if config.max_steps is not None:
            total_steps = min(total_steps, config.max_steps)
        report(0, total_steps, "Scoring the base model on held-out pairs")
        loss_before = evaluate_loss(loaded.model, held_out, pad_id, **eval_kwargs)

        peft_config = LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,
            lora_dropout=config.dropout,
            target_modules=list(config.target_modules),
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(loaded.model, peft_config)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            trainable, lr=config.lr, weight_decay=config.weight_decay, fused=True
        )
        scheduler = get_linear_schedule_with_warmup(
            optimizer, math.ceil(config.warmup_ratio * total_steps), total_steps
        )
        # float16 autocast needs loss scaling; bfloat16 and float32 do not.
        scaler = torch.amp.GradScaler(
            device.type,
            enabled=config.mixed_precision and autocast_dtype(device) == torch.float16,
        )
        report_every = max(1, total_steps // PROGRESS_REPORTS)
        lengths = [len(e.input_ids) for e in train]
        step, samples, seconds = 0, 0, 0.0
        history: list[dict[str, float]] = []
        report(0, total_steps, "Training started")
        for epoch in range(1, config.epochs + 1):
            model.train()
            loss_total, token_total = 0.0, 0
            started = time.perf_counter()
            for batch in bucketed_batches(lengths, config.batch_size, rng):
                if step >= total_steps:
                    break
                inputs = _collate([train[i] for i in batch], pad_id, device)
                loss_sum, count = _token_loss(model, inputs, device, config.mixed_precision)
                loss = loss_sum / max(1, count)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if config.grad_clip > 0:
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(trainable, config.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                step += 1
                samples += len(batch)
                loss_total += float(loss_sum.detach())
                token_total += count
                if step % report_every == 0:
                    seconds += time.perf_counter() - started
                    report(step, total_steps, f"Epoch {epoch}: step {step}/{total_steps}")
                    started = time.perf_counter()
            seconds += time.perf_counter() - started
            history.append({"epoch": epoch, "train_loss": loss_total / max(1, token_total)})
            if step >= total_steps:
                break
        loss_after = evaluate_loss(model, held_out, pad_id, **eval_kwargs)

    metrics = {
        "eval_loss_before": loss_before,
        "eval_loss_after": loss_after,
        "perplexity_before": perplexity(loss_before),
        "perplexity_after": perplexity(loss_after),
        "train_loss": history[-1]["train_loss"] if history else float("nan"),
        "rows": {"train": len(train), "held_out": len(held_out)},
        "steps": step,
        "samples_per_s": samples / seconds if seconds > 0 else 0.0,
        "train_seconds": seconds,
        "trainable_parameters": sum(p.numel() for p in trainable),
        "history": history,
    }
    report(total_steps, total_steps, "Saving the adapter")
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    training_config = {
        "task": "causal-lm-lora",
        # As given ("default" for the packaged model), and the directory it resolved to here.
        "base_model": str(base_model) if base_model is not None else "default",
        "base_model_resolved": loaded.source,
        "config": asdict(config),
    }
    (out / "training_config.json").write_text(json.dumps(training_config, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return LoraTrainResult(
        output_dir=out,
        metrics=metrics,
        samples_per_s=metrics["samples_per_s"],
        steps=step,
        history=history,
    )
