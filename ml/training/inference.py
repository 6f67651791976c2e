"""Batch inference: scoring many texts with an encoder, generating text with a causal LM.

EncoderEngine is built for throughput on CPU workers as much as on GPUs:

- texts are tokenised once, in one fast (Rust, parallel) call;
- they are sorted by length and batched with per-batch padding, so almost no pad tokens are
  computed, in small batches on the CPU (activations stay in the L2 cache);
- on the CPU, batches run in parallel on one worker thread per core, each op single-threaded:
  no barrier between cores per op, so the engine keeps its speed when other processes
  share the machine (one busy neighbour halves intra-op parallel code, not this);
- on a CPU with VNNI the encoder's Linear layers run in int8 (see quantization.py) unless
  quantize="none"; int8 moves logits by a few hundredths (up to ~0.5 on MiniLM), which
  can flip the label of a text the model is unsure about, so classify() re-scores in
  float32 every text whose int8 top-two logit gap is below `rescore_margin`. Without VNNI the
  activations can only use 7 bits, and embeddings drift too far for retrieval (cosine to
  float32 down to 0.87 on an AVX2 EPYC, against > 0.97 with VNNI): "auto" stays in float32
  there;
- classifiers that read the first token skip the rest of the last layer (first_token.py);
- on CUDA the weights are cast to bfloat16 (float16 where bf16 is missing).

Results always come back in input order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from ml.training.batching import length_sorted_batches, pad_batch, tokenize
from ml.training.devices import (
    autocast_dtype,
    configure_cpu_threads,
    cpu_thread_count,
    resolve_device,
)
from ml.training.first_token import first_token_classifier
from ml.training.lexical import LexicalModel
from ml.training.loading import LoadedModel, load_encoder, load_generator
from ml.training.quantization import cpu_has_vnni, quantize_linear_int8

QuantizeMode = Literal["auto", "int8", "none"]

# The most tokens one generation call may produce, whatever a caller asks for.
HARD_MAX_NEW_TOKENS = 1024
# A classifier unsure (int8 margin below rescore_margin) of more than this share of the
# first texts it scores is re-scored so often that int8 costs more than it saves: from then
# on it classifies in float32 directly.
MAX_UNSURE_SHARE = 0.5
UNSURE_SHARE_SAMPLE = 256


class NotAClassifier(ValueError):
    """classify() was called on an encoder without a classification head."""


@dataclass(frozen=True)
class EncoderEngineConfig:
    """How EncoderEngine batches and computes.

    batch_size / max_tokens_per_batch: rows per forward pass and padded tokens per pass
    (None: 64 rows and 1024 tokens on the CPU, where small batches keep activations in cache;
    256 rows and 32768 tokens on CUDA).
    workers: batches computed at once, each single-threaded (None: one per CPU core on the
    CPU, 1 on CUDA). With 1 worker on the CPU, ops use num_threads intra-op threads instead.
    quantize: "auto" = int8 on a CPU with VNNI, none elsewhere (CUDA, or a CPU without VNNI,
    where 7-bit activations make embeddings drift); "int8" forces it (CPU only); "none"
    keeps the model's precision (float32 on the CPU: equal to a plain forward pass).
    rescore_margin: with int8, classify() re-scores in float32 the texts whose two highest
    int8 logits are closer than this; None = 0.25 with 8-bit activations (VNNI CPUs), 1.0
    with 7-bit ones; 0 disables it. embed() is never re-scored.
    """

    batch_size: int | None = None
    max_length: int = 128
    max_tokens_per_batch: int | None = None
    workers: int | None = None
    quantize: QuantizeMode = "auto"
    device: str = "auto"
    mixed_precision: bool = True
    num_threads: int | None = None
    rescore_margin: float | None = None

    def __post_init__(self) -> None:
        if self.rescore_margin is not None and self.rescore_margin < 0:
            raise ValueError("rescore_margin must be >= 0.")
        if (self.batch_size is not None and self.batch_size < 1) or self.max_length < 2:
            raise ValueError("batch_size must be >= 1 and max_length >= 2.")
        if self.max_tokens_per_batch is not None and self.max_tokens_per_batch < self.max_length:
            raise ValueError("max_tokens_per_batch must be at least max_length.")
        if self.workers is not None and self.workers < 1:
            raise ValueError("workers must be at least 1.")
        if self.quantize not in ("auto", "int8", "none"):
            raise ValueError(f"quantize must be auto, int8 or none, got {self.quantize!r}.")


@dataclass(frozen=True)
class Classification:
    """Predicted label of each text and the probabilities over `label_names`, in input order."""

    labels: list[str]
    probabilities: np.ndarray
    label_names: tuple[str, ...]


@contextlib.contextmanager
def _single_threaded_ops() -> Iterator[None]:
    """torch ops on one thread each while parallel workers run; restored afterwards.

    Side effect: torch's process-wide intra-op thread count is 1 for the duration; threads
    started inside take that count when they first run an op.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class EncoderEngine:
    """Embeds and classifies lists of texts with one encoder (see the module docstring)."""

    def __init__(
        self,
        source: str | Path | None = None,
        config: EncoderEngineConfig | None = None,
        *,
        loaded: LoadedModel | None = None,
    ) -> None:
        """Load `source` (None/"default": packaged encoder), or wrap an already `loaded` one."""
        self.config = config or EncoderEngineConfig()
        self.device = resolve_device(self.config.device)
        on_cpu = self.device.type == "cpu"
        threads = configure_cpu_threads(self.config.num_threads) if on_cpu else 1
        if loaded is None:
            loaded = load_encoder(source, head="auto", device=self.device)
        elif loaded.device != self.device:
            loaded.model.to(self.device)
        self.source = loaded.source
        self.tokenizer = loaded.tokenizer
        model = loaded.model.eval()
        self.batch_size = self.config.batch_size or (64 if on_cpu else 256)
        self.max_tokens_per_batch = self.config.max_tokens_per_batch or (1024 if on_cpu else 32768)
        self.workers = self.config.workers or (min(threads, cpu_thread_count()) if on_cpu else 1)
        if not on_cpu:
            self.workers = 1
        quantize = self.config.quantize
        if quantize == "int8" and not on_cpu:
            raise ValueError("int8 dynamic quantisation runs on the CPU only.")
        self.quantized = on_cpu and (quantize == "int8" or (quantize == "auto" and cpu_has_vnni()))
        self.half_dtype: torch.dtype | None = None
        # The float model, kept next to the int8 one to re-score uncertain texts.
        self.exact_model: torch.nn.Module | None = None
        self.rescore_margin = 0.0
        if self.quantized:
            full_range = cpu_has_vnni()
            self.exact_model = model
            model = quantize_linear_int8(model, reduce_range=not full_range)
            default_margin = 0.25 if full_range else 1.0
            margin = self.config.rescore_margin
            self.rescore_margin = default_margin if margin is None else margin
        elif self.device.type == "cuda" and self.config.mixed_precision:
            self.half_dtype = autocast_dtype(self.device)
            model = model.to(self.half_dtype)
        self.model = model
        config_labels = getattr(model.config, "id2label", None) or {}
        self.is_classifier = hasattr(model, "classifier") or hasattr(model, "score")
        self.label_names: tuple[str, ...] = tuple(config_labels[i] for i in sorted(config_labels))
        pad = self.tokenizer.pad_token_id
        self.pad_token_id = int(pad) if pad is not None else 0
        self.last_rescored = 0
        self._scored = 0
        self._unsure = 0
        self.int8_classify = self.quantized
        # Classification runs through first-token views of the models when they are exact.
        self.classify_model: torch.nn.Module = model
        self.exact_classify_model = self.exact_model
        self.first_token_shortcut = False
        # A fine-tuned classifier may carry a lexical model to fuse with (ml.training.lexical).
        self.lexical: LexicalModel | None = None
        if self.is_classifier:
            self._use_first_token_views()
            source_dir = Path(self.source)
            if source_dir.is_dir():
                self.lexical = LexicalModel.load(source_dir)

    def _use_first_token_views(self) -> None:
        """Switch classification to first_token views after checking one against the model.

        The check runs the float model and its view on a padded two-row batch; any
        difference beyond float rounding (an architecture the view misreads) keeps the
        full models.
        """
        reference = self.exact_model if self.exact_model is not None else self.model
        view = first_token_classifier(reference)
        if view is None:
            return
        probe = [[self.pad_token_id + 1] * 6, [self.pad_token_id + 1] * 3]
        try:
            with torch.inference_mode():
                inputs = pad_batch(probe, self.pad_token_id, device=self.device)
                expected = reference(**inputs).logits.float()
                got = view(**inputs).logits.float()
        except (RuntimeError, TypeError, AttributeError, ValueError):
            return
        tolerance = 1e-3 if self.half_dtype is None else 5e-2
        if not torch.allclose(expected, got, atol=tolerance, rtol=tolerance):
            return
        self.first_token_shortcut = True
        if self.exact_model is None:
            self.classify_model = view
            return
        self.exact_classify_model = view
        quantized_view = first_token_classifier(self.model)
        if quantized_view is not None:
            self.classify_model = quantized_view

    def _prepare(self, texts: Sequence[str]) -> list[list[int]]:
        if isinstance(texts, str):
            raise TypeError("Pass a list of texts, not a single string.")
        return tokenize(self.tokenizer, texts, self.config.max_length)

    def _run(
        self,
        sequences: list[list[int]],
        rows: np.ndarray,
        compute: Callable[[dict[str, torch.Tensor]], torch.Tensor],
        out: np.ndarray,
    ) -> None:
        """out[rows[j]] = compute(batch of sequences[rows[j]]) over length-sorted batches."""
        lengths = [len(sequences[i]) for i in rows]
        batches = [
            rows[batch]
            for batch in length_sorted_batches(lengths, self.batch_size, self.max_tokens_per_batch)
        ]

        def work(batch: np.ndarray) -> None:
            with torch.inference_mode():
                inputs = pad_batch(
                    [sequences[i] for i in batch], self.pad_token_id, device=self.device
                )
                out[batch] = compute(inputs).float().cpu().numpy()

        if self.workers <= 1 or len(batches) <= 1:
            for batch in batches:
                work(batch)
            return
        with _single_threaded_ops(), ThreadPoolExecutor(self.workers) as pool:
            for _ in pool.map(work, batches):  # re-raises the first worker error
                pass

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, L2-normalised token embeddings: float32 array of shape (n, hidden).

        e = sum_t(mask_t * h_t) / sum_t(mask_t), then e / ||e||_2 (the sentence-transformers
        recipe of all-MiniLM-L6-v2, so cosine similarity is a dot product).
        """
        hidden_size = int(self.model.config.hidden_size)
        sequences = self._prepare(texts)
        out = np.zeros((len(sequences), hidden_size), dtype=np.float32)
        if not sequences:
            return out
        encoder = self.model.base_model

        def pooled(inputs: dict[str, torch.Tensor]) -> torch.Tensor:
            hidden = encoder(**inputs).last_hidden_state.float()
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

        self._run(sequences, np.arange(len(sequences)), pooled, out)
        return out

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Classifier logits, float32 array of shape (n, num_labels), in input order.

        With int8, rows whose top-two gap is below rescore_margin hold float32 logits; the
        others hold int8 ones. `last_rescored` tells how many rows were scored in float32.
        If more than MAX_UNSURE_SHARE of the first UNSURE_SHARE_SAMPLE texts needed
        re-scoring (a weak model), `int8_classify` turns off and later calls use float32 only.
        """
        if not self.is_classifier:
            raise NotAClassifier(f"{self.source} has no classification head; use embed().")
        self.last_rescored = 0
        sequences = self._prepare(texts)
        out = np.zeros((len(sequences), len(self.label_names)), dtype=np.float32)
        if not sequences:
            return out
        fast, exact = self.classify_model, self.exact_classify_model
        rows = np.arange(len(sequences))
        if exact is not None and not self.int8_classify:
            self._run(sequences, rows, lambda x: exact(**x).logits, out)
            self.last_rescored = len(rows)
            return out
        self._run(sequences, rows, lambda x: fast(**x).logits, out)
        if exact is None or self.rescore_margin <= 0 or out.shape[1] < 2:
            return out
        top_two = np.sort(out, axis=1)[:, -2:]
        unsure = np.flatnonzero(top_two[:, 1] - top_two[:, 0] < self.rescore_margin)
        if len(unsure):
            self._run(sequences, unsure, lambda x: exact(**x).logits, out)
        self.last_rescored = len(unsure)
        if self._scored < UNSURE_SHARE_SAMPLE:
            self._scored += len(rows)
            self._unsure += len(unsure)
            if self._scored >= UNSURE_SHARE_SAMPLE:
                self.int8_classify = self._unsure <= MAX_UNSURE_SHARE * self._scored
        return out

    def classify(self, texts: Sequence[str]) -> Classification:
        """Most probable label of each text and softmax probabilities, in input order.

        With a lexical model in the model directory, the probabilities are the fused ones
        (the encoder's and the lexical model's, weighted as chosen when training)."""
        logits = self.logits(texts)
        if self.lexical is not None and len(logits):
            logits = self.lexical.fuse(logits, texts)
        if not len(logits):
            return Classification([], logits, self.label_names)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        labels = [self.label_names[i] for i in probabilities.argmax(axis=1)]
        return Classification(labels, probabilities, self.label_names)


# --- generation -------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings. temperature 0 (or do_sample False) means greedy decoding.

    Output stops at the end-of-sequence token, after max_new_tokens tokens, or at the first
    occurrence of any `stop` string, which is cut off together with what follows it.
    """

    max_new_tokens: int = 128
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 50
    do_sample: bool = True
    seed: int = 0
    stop: tuple[str, ...] = ()
    batch_size: int = 8
    max_input_tokens: int = 1024

    def __post_init__(self) -> None:
        if not 1 <= self.max_new_tokens <= HARD_MAX_NEW_TOKENS:
            raise ValueError(f"max_new_tokens must lie in 1..{HARD_MAX_NEW_TOKENS}.")
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.top_k < 0:
            raise ValueError("Need temperature >= 0, 0 < top_p <= 1 and top_k >= 0.")
        if self.batch_size < 1 or self.max_input_tokens < 1:
            raise ValueError("batch_size and max_input_tokens must be at least 1.")
        if any(not isinstance(s, str) or not s for s in self.stop):
            raise ValueError("Stop sequences must be non-empty strings.")

    @property
    def sampling(self) -> bool:
        return self.do_sample and self.temperature > 0


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """text up to (not including) the earliest occurrence of any stop string."""
    cut = len(text)
    for s in stop:
        position = text.find(s)
        if position != -1:
            cut = min(cut, position)
    return text[:cut]


class _StopOnStrings(StoppingCriteria):
    """Stopping criterion: a row is done once its generated text contains a stop string.

    Only the tail of each row is decoded (enough tokens to hold the longest stop string),
    so checking stays cheap however long the output grows.
    """

    def __init__(self, tokenizer: Any, stop: Sequence[str], prompt_length: int) -> None:
        self.tokenizer = tokenizer
        self.stop = tuple(stop)
        self.prompt_length = prompt_length
        self.window = max(len(s) for s in stop) + 2

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        generated = input_ids[:, self.prompt_length :]
        tails = self.tokenizer.batch_decode(generated[:, -self.window :], skip_special_tokens=True)
        done = [any(s in tail for s in self.stop) for tail in tails]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class GeneratorEngine:
    """Batched text generation with a causal LM (left padding, seeded sampling, stop strings)."""

    def __init__(
        self,
        source: str | Path | None = None,
        *,
        cache_dir: str | Path | None = None,
        device: str = "auto",
        adapter: str | Path | None = None,
        loaded: LoadedModel | None = None,
    ) -> None:
        """Load `source` (None/"default": packaged Gemma 3 270M, converted once into
        cache_dir) with an optional LoRA `adapter` merged in, or wrap an already `loaded`
        model. On CUDA the weights are bfloat16 (float16 without bf16 support); on the CPU
        float32."""
        target = resolve_device(device)
        if loaded is None:
            loaded = load_generator(
                source,
                cache_dir=cache_dir,
                device=target,
                dtype=autocast_dtype(target),
                adapter=adapter,
            )
        elif loaded.device != target:
            loaded.model.to(target)
        self.source = loaded.source
        self.device = target
        self.model = loaded.model.eval()
        self.tokenizer = loaded.tokenizer
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def generate(self, prompts: Sequence[str], params: GenerationParams | None = None) -> list[str]:
        """The continuation of each prompt (prompt itself excluded), in input order.

        The same prompts, params and seed give the same outputs on the same machine; the
        caller's torch RNG state is left as it was.
        """
        params = params or GenerationParams()
        if isinstance(prompts, str):
            raise TypeError("Pass a list of prompts, not a single string.")
        if not prompts:
            return []
        tokenizer = self.tokenizer
        previous_side = tokenizer.truncation_side
        tokenizer.truncation_side = "left"  # keep the end of an over-long prompt
        try:
            encoded = tokenizer(
                list(prompts),
                truncation=True,
                max_length=params.max_input_tokens,
                padding=False,
                return_attention_mask=False,
            )["input_ids"]
        finally:
            tokenizer.truncation_side = previous_side
        pad_id = int(tokenizer.pad_token_id)
        # Gemma's generation config lists two end tokens (<eos>, <end_of_turn>); prefer it.
        eos_id = self.model.generation_config.eos_token_id or tokenizer.eos_token_id
        outputs = [""] * len(prompts)
        lengths = [len(ids) for ids in encoded]
        batches = length_sorted_batches(lengths, params.batch_size)
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            torch.manual_seed(params.seed)
            for batch in batches:
                inputs = pad_batch(
                    [encoded[i] for i in batch], pad_id, padding_side="left", device=self.device
                )
                prompt_length = inputs["input_ids"].shape[1]
                kwargs: dict[str, Any] = {
                    "max_new_tokens": params.max_new_tokens,
                    "do_sample": params.sampling,
                    "pad_token_id": pad_id,
                    "eos_token_id": eos_id,
                }
                if params.sampling:
                    kwargs.update(
                        temperature=params.temperature, top_p=params.top_p, top_k=params.top_k
                    )
                if params.stop:
                    kwargs["stopping_criteria"] = StoppingCriteriaList(
                        [_StopOnStrings(tokenizer, params.stop, prompt_length)]
                    )
                generated = self.model.generate(**inputs, **kwargs)
                new_tokens = generated[:, prompt_length:]
                texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
                for index, text in zip(batch, texts, strict=True):
                    outputs[index] = truncate_at_stop(text, params.stop) if params.stop else text
        return outputs
