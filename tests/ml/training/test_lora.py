import json

import pytest

from ml.training.inference import GenerationParams, GeneratorEngine
from ml.training.loading import load_generator
from ml.training.lora import IGNORE_INDEX, LoraTrainConfig, build_example, train_lora

WORDS = [
    ("great", "positive"),
    ("lovely", "positive"),
    ("awful", "negative"),
    ("cheap", "negative"),
]
FITS = ["good", "tight", "loose", "odd"]


def pairs() -> tuple[list[str], list[str]]:
    prompts, completions = [], []
    for _ in range(3):
        for word, label in WORDS:
            for fit in FITS:
                prompts.append(f"review: {word} fabric and a {fit} fit. sentiment:")
                completions.append(f" {label}")
    return prompts, completions


CONFIG = LoraTrainConfig(
    epochs=3, batch_size=4, lr=1e-2, rank=4, alpha=8, eval_fraction=0.2, device="cpu"
)


def test_only_completion_tokens_are_labelled(tiny_causal_lm_dir):
    tokenizer = load_generator(tiny_causal_lm_dir).tokenizer
    example = build_example(tokenizer, "review: great. sentiment:", " positive", 64)
    prompt_length = len(tokenizer("review: great. sentiment:")["input_ids"])
    assert example.labels[:prompt_length] == [IGNORE_INDEX] * prompt_length
    assert example.labels[prompt_length:] == example.input_ids[prompt_length:]
    assert example.input_ids[-1] == tokenizer.eos_token_id


def test_over_long_pairs_keep_the_completion_and_the_end_of_the_prompt(tiny_causal_lm_dir):
    tokenizer = load_generator(tiny_causal_lm_dir).tokenizer
    example = build_example(tokenizer, "word " * 100 + "sentiment:", " positive", 16)
    assert len(example.input_ids) == 16
    completion = [t for t in example.labels if t != IGNORE_INDEX]
    assert tokenizer.decode(completion, skip_special_tokens=True) == "positive"


@pytest.mark.slow
def test_lora_lowers_held_out_loss_and_saves_a_safetensors_adapter(tiny_causal_lm_dir, tmp_path):
    prompts, completions = pairs()
    progress = []
    result = train_lora(
        prompts,
        completions,
        CONFIG,
        tiny_causal_lm_dir,
        tmp_path / "adapter",
        progress=lambda step, total, message: progress.append((step, total)),
    )
    metrics = result.metrics
    assert metrics["eval_loss_after"] < metrics["eval_loss_before"]
    assert metrics["perplexity_after"] < metrics["perplexity_before"]
    assert metrics["rows"] == {"train": 38, "held_out": 10}
    names = {p.name for p in (tmp_path / "adapter").iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "metrics.json"} <= names
    assert not any(name.endswith(".bin") for name in names)
    saved = json.loads((tmp_path / "adapter" / "metrics.json").read_text())
    assert saved["eval_loss_after"] == metrics["eval_loss_after"]
    assert progress[-1][0] == progress[-1][1]

    # The adapter changes what the generator says after a training prompt.
    greedy = GenerationParams(max_new_tokens=3, do_sample=False)
    base = GeneratorEngine(tiny_causal_lm_dir, device="cpu").generate(prompts[:4], greedy)
    tuned = GeneratorEngine(tiny_causal_lm_dir, device="cpu", adapter=tmp_path / "adapter")
    assert tuned.generate(prompts[:4], greedy) != base


def test_lora_progress_callback_can_cancel(tiny_causal_lm_dir, tmp_path):
    class Cancelled(Exception):
        pass

    def progress(step: int, total: int, message: str) -> None:
        if step >= 1:
            raise Cancelled

    prompts, completions = pairs()
    with pytest.raises(Cancelled):
        train_lora(prompts, completions, CONFIG, tiny_causal_lm_dir, tmp_path / "a", progress)


@pytest.mark.parametrize(
    ("prompts", "completions", "message"),
    [
        (["a", "b"], ["x"], "completions"),
        (["a"], ["x"], "at least two"),
        (["a", "b"], ["x", " "], "non-empty"),
    ],
)
def test_bad_pairs_are_rejected(tiny_causal_lm_dir, tmp_path, prompts, completions, message):
    with pytest.raises(ValueError, match=message):
        train_lora(prompts, completions, CONFIG, tiny_causal_lm_dir, tmp_path / "a")


def test_lora_config_from_dict_turns_lists_into_tuples():
    config = LoraTrainConfig.from_dict({"target_modules": ["q_proj", "v_proj"], "rank": 4})
    assert config.target_modules == ("q_proj", "v_proj")
    with pytest.raises(ValueError, match="lora_rank"):
        LoraTrainConfig.from_dict({"lora_rank": 4})
