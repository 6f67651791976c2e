import shutil
from pathlib import Path

import pytest
import torch

from ml.training import loading
from ml.training.loading import (
    ArtifactMismatch,
    ModelLoadError,
    generator_prepare,
    load_encoder,
    load_generator,
    sha256_of_directory,
    verify_sha256,
)


@pytest.mark.slow
def test_packaged_encoder_loads_offline_as_a_384_wide_bert():
    loaded = load_encoder()
    assert loaded.model.config.model_type == "bert"
    assert loaded.model.config.hidden_size == 384
    assert not loaded.model.training
    ids = loaded.tokenizer("Fits perfectly", return_tensors="pt")
    with torch.inference_mode():
        hidden = loaded.model(**ids).last_hidden_state
    assert hidden.shape == (1, ids["input_ids"].shape[1], 384)


@pytest.mark.parametrize(
    ("pooling", "model_class"),
    [(None, "MeanPooledClassifier"), ("first_token", "BertForSequenceClassification")],
)
def test_encoder_with_labels_gets_a_classification_head(tiny_bert_dir, pooling, model_class):
    loaded = load_encoder(tiny_bert_dir, id2label={0: "negative", 1: "positive"}, pooling=pooling)
    assert type(loaded.model).__name__ == model_class
    assert loaded.model.config.id2label == {0: "negative", 1: "positive"}
    assert loaded.model.config.label2id == {"negative": 0, "positive": 1}


def test_pickle_only_weights_are_refused(tiny_bert_dir, tmp_path):
    unsafe = tmp_path / "unsafe"
    shutil.copytree(tiny_bert_dir, unsafe)
    weights = unsafe / "model.safetensors"
    from safetensors.torch import load_file

    torch.save(load_file(weights), unsafe / "pytorch_model.bin")
    weights.unlink()
    with pytest.raises(ModelLoadError, match="safetensors only"):
        load_encoder(unsafe)


def test_missing_directory_is_reported(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_encoder(tmp_path / "nope")


def test_hub_id_absent_from_the_local_cache_is_not_downloaded(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelLoadError, match="not in the local Hugging Face cache"):
        load_encoder("some-org/some-model-that-is-not-cached")


def test_sha256_of_directory_is_stable_and_verifies(tiny_bert_dir):
    digest = sha256_of_directory(tiny_bert_dir)
    assert digest == sha256_of_directory(tiny_bert_dir)
    verify_sha256(tiny_bert_dir, digest)


def test_sha256_mismatch_raises(tiny_bert_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_bert_dir, copy)
    expected = sha256_of_directory(copy)
    config = copy / "config.json"
    config.write_text(config.read_text().replace("32", "33", 1))
    with pytest.raises(ArtifactMismatch, match="expected"):
        verify_sha256(copy, expected)


def test_sha256_of_a_missing_directory_raises(tmp_path):
    with pytest.raises(ArtifactMismatch, match="not a directory"):
        verify_sha256(tmp_path / "gone", "0" * 64)


def _fake_gguf(tmp_path: Path) -> Path:
    source = tmp_path / "tiny.gguf"
    source.write_bytes(b"GGUF fake")
    return source


def test_crashed_conversion_leaves_nothing_that_looks_converted(tmp_path, monkeypatch):
    source, cache = _fake_gguf(tmp_path), tmp_path / "cache"

    def crash(gguf_path: Path, target: Path) -> None:
        target.mkdir(parents=True)
        (target / "config.json").write_text("{}")
        raise RuntimeError("killed mid-conversion")

    monkeypatch.setattr(loading, "convert_gguf_to_safetensors", crash)
    with pytest.raises(RuntimeError, match="killed"):
        generator_prepare(source, cache)
    assert [p.name for p in (cache / "generator").iterdir() if not p.name.endswith(".lock")] == []


def test_conversion_is_done_once_then_served_from_the_cache(tmp_path, monkeypatch):
    source, cache = _fake_gguf(tmp_path), tmp_path / "cache"
    calls = []

    def convert(gguf_path: Path, target: Path) -> None:
        calls.append(gguf_path)
        target.mkdir(parents=True)
        (target / "config.json").write_text("{}")

    monkeypatch.setattr(loading, "convert_gguf_to_safetensors", convert)
    first = generator_prepare(source, cache)
    second = generator_prepare(source, cache)
    assert first == second
    assert len(calls) == 1
    assert (Path(first) / loading.CONVERSION_MARKER).is_file()


@pytest.mark.slow
def test_packaged_generator_is_converted_into_a_safetensors_directory(packaged_generator_cache):
    cache, prepared = packaged_generator_cache
    directory = Path(prepared)
    assert directory.parent == cache / "generator"
    names = {p.name for p in directory.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "conversion.json"} <= names
    assert not any(name.endswith((".gguf", ".bin")) for name in names)
    assert not list((cache / "generator").glob(".staging-*"))


@pytest.mark.slow
def test_packaged_generator_second_prepare_reuses_the_cache(packaged_generator_cache, monkeypatch):
    cache, prepared = packaged_generator_cache

    def must_not_convert(*args, **kwargs):
        raise AssertionError("converted again instead of using the cache")

    monkeypatch.setattr(loading, "convert_gguf_to_safetensors", must_not_convert)
    assert generator_prepare("default", cache) == prepared
    loaded = load_generator(None, cache_dir=cache)
    assert type(loaded.model).__name__ == "Gemma3ForCausalLM"
    assert loaded.source == prepared
    assert loaded.tokenizer.padding_side == "left"


def test_a_directory_without_an_adapter_is_refused(tiny_causal_lm_dir, tmp_path):
    with pytest.raises(ModelLoadError, match="adapter_model.safetensors"):
        load_generator(tiny_causal_lm_dir, adapter=tmp_path)
