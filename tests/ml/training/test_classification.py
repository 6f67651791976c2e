import json
import random

import pytest
import torch

from ml.training.classification import (
    ClassifierTrainConfig,
    classifier_splits,
    train_classifier,
)
from ml.training.loading import sha256_of_directory

POSITIVE_WORDS = ["lovely", "great", "soft", "flattering", "perfect", "comfortable"]
NEGATIVE_WORDS = ["awful", "cheap", "itchy", "shapeless", "torn", "scratchy"]


def synthetic_reviews(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        positive = i % 2 == 0
        words = rng.sample(POSITIVE_WORDS if positive else NEGATIVE_WORDS, 3)
        texts.append(f"the dress was {words[0]} and {words[1]}, really {words[2]}")
        labels.append("positive" if positive else "negative")
    return texts, labels


TINY = ClassifierTrainConfig(
    epochs=2, batch_size=8, lr=1e-3, max_length=32, device="cpu", seed=7, warmup_ratio=0.0
)


@pytest.mark.slow
def test_fine_tuned_sentiment_beats_the_majority_baseline_on_held_out_rows(sentiment_run):
    test = sentiment_run.metrics["test"]
    baseline = sentiment_run.metrics["baseline"]["test"]
    assert test["rows"] == 60
    assert test["macro_f1"] > baseline["macro_f1"] + 0.2
    assert test["accuracy"] > baseline["accuracy"]


@pytest.mark.slow
def test_fine_tune_writes_a_safetensors_model_with_its_metrics_and_config(sentiment_run):
    out = sentiment_run.output_dir
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "metrics.json"} <= names
    assert "training_config.json" in names
    assert not any(name.endswith(".bin") for name in names)
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["test"]["macro_f1"] == sentiment_run.metrics["test"]["macro_f1"]
    training_config = json.loads((out / "training_config.json").read_text())
    assert training_config["labels"] == ["negative", "positive"]
    assert training_config["config"]["seed"] == 0
    assert len(sha256_of_directory(out)) == 64


@pytest.mark.slow
def test_fine_tune_reports_its_data_and_speed(sentiment_run):
    assert sentiment_run.data_summary["rows"] == {"train": 480, "validation": 60, "test": 60}
    assert sentiment_run.data_summary["label_counts"]["test"] == {"negative": 30, "positive": 30}
    matrix = sentiment_run.metrics["test"]["confusion_matrix"]
    assert sum(map(sum, matrix)) == 60
    assert sentiment_run.samples_per_s > 0
    assert sentiment_run.best_epoch == 1


@pytest.mark.slow
def test_same_seed_gives_identical_metrics(tiny_bert_dir, tmp_path):
    texts, labels = synthetic_reviews(60)
    first = train_classifier(texts, labels, TINY, tiny_bert_dir, tmp_path / "a")
    second = train_classifier(texts, labels, TINY, tiny_bert_dir, tmp_path / "b")
    assert first.metrics["test"] == second.metrics["test"]
    assert first.metrics["validation"] == second.metrics["validation"]
    assert first.history == second.history


def test_progress_callback_can_cancel_the_run(tiny_bert_dir, tmp_path):
    class Cancelled(Exception):
        pass

    seen = []

    def progress(step: int, total: int, message: str) -> None:
        seen.append(step)
        if step >= 2:
            raise Cancelled

    texts, labels = synthetic_reviews(40)
    with pytest.raises(Cancelled):
        train_classifier(texts, labels, TINY, tiny_bert_dir, tmp_path / "out", progress)
    assert seen[0] == 0
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_max_steps_caps_training(tiny_bert_dir, tmp_path):
    texts, labels = synthetic_reviews(40)
    config = ClassifierTrainConfig(**{**TINY.__dict__, "max_steps": 3})
    result = train_classifier(texts, labels, config, tiny_bert_dir, tmp_path / "out")
    assert result.steps == 3


def test_a_single_label_is_rejected(tiny_bert_dir, tmp_path):
    with pytest.raises(ValueError, match="two distinct labels"):
        train_classifier(["a b", "c d", "e f"], ["x"] * 3, TINY, tiny_bert_dir, tmp_path / "o")


def test_a_non_empty_output_directory_is_refused(tiny_bert_dir, tmp_path):
    (tmp_path / "keep.txt").write_text("earlier run")
    texts, labels = synthetic_reviews(20)
    with pytest.raises(FileExistsError):
        train_classifier(texts, labels, TINY, tiny_bert_dir, tmp_path)


@pytest.mark.parametrize(
    "values",
    [
        {"epochs": 0},
        {"lr": 0.0},
        {"warmup_ratio": 1.0},
        {"max_steps": 0},
        {"label_smoothing": 1.0},
        {"label_smoothing": -0.1},
    ],
)
def test_invalid_config_values_are_rejected(values):
    with pytest.raises(ValueError):
        ClassifierTrainConfig(**values)


def test_config_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="learning_rate"):
        ClassifierTrainConfig.from_dict({"learning_rate": 1e-4})


HELD_OUT = ClassifierTrainConfig(**{**TINY.__dict__, "test_fraction": 0.0})


def test_given_test_rows_are_the_test_split_and_every_other_row_trains_or_validates():
    texts, labels = synthetic_reviews(40)
    test_texts, test_labels = synthetic_reviews(12, seed=5)

    encoding, splits = classifier_splits(texts, labels, HELD_OUT, test=(test_texts, test_labels))

    assert len(splits.train) + len(splits.validation) == 40
    assert splits.test.texts == tuple(test_texts)
    assert encoding.decode(splits.test.labels) == test_labels
    # Rebuilding the splits (as a finisher does) gives the same parts.
    assert classifier_splits(texts, labels, HELD_OUT, test=(test_texts, test_labels))[1] == splits


def test_held_out_test_rows_need_test_fraction_zero_and_known_labels():
    texts, labels = synthetic_reviews(40)
    with pytest.raises(ValueError, match="test_fraction must be 0"):
        classifier_splits(texts, labels, TINY, test=(["a fine dress"], ["positive"]))
    with pytest.raises(ValueError, match="labels the training rows lack: neutral"):
        classifier_splits(texts, labels, HELD_OUT, test=(["an ok dress"], ["neutral"]))
    with pytest.raises(ValueError, match="empty"):
        classifier_splits(texts, labels, HELD_OUT, test=(["  "], ["positive"]))


def test_training_with_held_out_test_rows_reports_metrics_on_them(tiny_bert_dir, tmp_path):
    texts, labels = synthetic_reviews(40)
    test_texts, test_labels = synthetic_reviews(10, seed=9)

    result = train_classifier(
        texts, labels, HELD_OUT, tiny_bert_dir, tmp_path / "out", test=(test_texts, test_labels)
    )

    assert result.data_summary["rows"] == {"train": 36, "validation": 4, "test": 10}
    assert result.metrics["test"]["rows"] == 10


def test_cpu_bfloat16_trains_under_bfloat16_autocast_and_learns(
    tiny_bert_dir, tmp_path, monkeypatch
):
    from ml.training import devices

    # Run the bfloat16 path on any CPU (it is only slower where bfloat16 is not native).
    monkeypatch.setattr(devices, "cpu_computes_bfloat16", lambda: True)
    dtypes = []
    real_autocast = torch.autocast

    def recording_autocast(device_type, dtype=None, **kwargs):
        dtypes.append(dtype)
        return real_autocast(device_type=device_type, dtype=dtype, **kwargs)

    monkeypatch.setattr(torch, "autocast", recording_autocast)
    texts, labels = synthetic_reviews(120)
    test_texts, test_labels = synthetic_reviews(40, seed=9)
    config = ClassifierTrainConfig(**{**HELD_OUT.__dict__, "cpu_bfloat16": True})

    result = train_classifier(
        texts, labels, config, tiny_bert_dir, tmp_path / "out", test=(test_texts, test_labels)
    )

    assert dtypes and set(dtypes) == {torch.bfloat16}
    # The words decide the label: a model that learned gets the held-out rows right.
    assert result.metrics["test"]["accuracy"] >= 0.9


def test_label_smoothing_caps_the_models_confidence(tiny_bert_dir, tmp_path):
    from ml.training.inference import EncoderEngine, EncoderEngineConfig

    texts, labels = synthetic_reviews(120)
    test_texts, test_labels = synthetic_reviews(40, seed=9)
    # The encoder's own probabilities: no lexical model, no offsets on top.
    plain = ClassifierTrainConfig(
        **{**HELD_OUT.__dict__, "epochs": 4, "lexical_fusion": False, "tune_class_offsets": False}
    )
    smoothed = ClassifierTrainConfig(**{**plain.__dict__, "label_smoothing": 0.4})
    confidence = {}
    for name, config in (("plain", plain), ("smoothed", smoothed)):
        result = train_classifier(
            texts, labels, config, tiny_bert_dir, tmp_path / name, test=(test_texts, test_labels)
        )
        assert result.metrics["test"]["accuracy"] >= 0.9, name
        engine = EncoderEngine(result.output_dir, EncoderEngineConfig(device="cpu"))
        confidence[name] = float(engine.classify(test_texts).probabilities.max(axis=1).mean())

    # With two classes and smoothing 0.4 the loss is least at 0.8 for the true class, so
    # the smoothed model stays near it while the plain one goes on towards 1.
    assert confidence["smoothed"] < 0.85
    assert confidence["plain"] > confidence["smoothed"] + 0.05
