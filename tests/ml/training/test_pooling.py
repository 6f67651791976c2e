"""The mean-pooled classifier: what it computes, how it is saved and loaded, how it serves."""

import pytest
import torch

from ml.training.batching import pad_batch
from ml.training.classification import ClassifierTrainConfig, train_classifier
from ml.training.inference import EncoderEngine, EncoderEngineConfig
from ml.training.loading import ModelLoadError, load_encoder
from ml.training.pooling import HEAD_FILE, MeanPooledClassifier
from tests.ml.training.test_classification import synthetic_reviews

LABELS = {0: "negative", 1: "neutral", 2: "positive"}


def _logits(model, rows):
    with torch.inference_mode():
        return model(**pad_batch(rows, 0, device=torch.device("cpu"))).logits


def test_logits_are_the_head_applied_to_the_mean_of_the_real_tokens(tiny_bert_dir):
    torch.manual_seed(0)
    model = load_encoder(tiny_bert_dir, id2label=LABELS).model
    assert isinstance(model, MeanPooledClassifier)
    row = [5, 9, 14, 7]
    hidden = model.encoder(input_ids=torch.tensor([row])).last_hidden_state[0]
    expected = model.classifier(hidden.mean(dim=0))
    alone = _logits(model, [row])[0]
    padded = _logits(model, [row, row + [11, 12, 13]])[0]  # the first row gets three pads
    assert alone.tolist() == pytest.approx(expected.tolist(), abs=1e-5)
    assert padded.tolist() == pytest.approx(alone.tolist(), abs=1e-5)


def test_a_saved_classifier_loads_with_the_same_head_and_labels(tiny_bert_dir, tmp_path):
    torch.manual_seed(0)
    model = load_encoder(tiny_bert_dir, id2label=LABELS).model
    with torch.no_grad():
        model.classifier.bias += torch.tensor([0.5, -0.25, 1.0])
    model.save_pretrained(tmp_path)
    assert (tmp_path / HEAD_FILE).is_file()

    again = load_encoder(tmp_path).model  # head="auto": the stored config is a classifier
    assert isinstance(again, MeanPooledClassifier)
    assert again.config.id2label == LABELS
    rows = [[5, 9, 14], [3, 4]]
    assert torch.allclose(_logits(again, rows), _logits(model, rows), atol=1e-5)


def test_a_stored_classifier_without_its_head_is_refused(tiny_bert_dir, tmp_path):
    load_encoder(tiny_bert_dir, id2label=LABELS).model.save_pretrained(tmp_path)
    (tmp_path / HEAD_FILE).unlink()
    with pytest.raises(ModelLoadError, match="head"):
        load_encoder(tmp_path)


def test_new_labels_replace_a_stored_head_of_another_shape(tiny_bert_dir, tmp_path):
    load_encoder(tiny_bert_dir, id2label=LABELS).model.save_pretrained(tmp_path)
    relabelled = load_encoder(tmp_path, id2label={0: "no", 1: "yes"}).model
    assert relabelled.classifier.out_features == 2
    assert relabelled.config.id2label == {0: "no", 1: "yes"}


def test_an_unknown_pooling_is_refused(tiny_bert_dir):
    with pytest.raises(ValueError, match="pooling"):
        load_encoder(tiny_bert_dir, id2label=LABELS, pooling="max")
    with pytest.raises(ValueError, match="pooling"):
        ClassifierTrainConfig(pooling="max")


@pytest.mark.parametrize("pooling", ["mean", "first_token"])
def test_both_poolings_train_save_and_serve_through_the_engine(tiny_bert_dir, tmp_path, pooling):
    texts, labels = synthetic_reviews(60)
    # The encoder alone (fusion with a lexical model has its own tests, test_lexical.py).
    config = ClassifierTrainConfig(
        epochs=1,
        batch_size=8,
        lr=1e-3,
        max_length=32,
        device="cpu",
        pooling=pooling,
        lexical_fusion=False,
    )
    result = train_classifier(texts, labels, config, tiny_bert_dir, tmp_path / "model")
    saved = load_encoder(result.output_dir).model
    assert isinstance(saved, MeanPooledClassifier) == (pooling == "mean")

    engine = EncoderEngine(result.output_dir, EncoderEngineConfig(quantize="none"))
    scored = engine.classify(texts[:10])
    # The engine's probabilities are the softmax of the saved model's logits.
    expected = torch.softmax(_logits(saved, engine._prepare(texts[:10])), dim=-1)
    assert scored.probabilities == pytest.approx(expected.numpy(), abs=1e-4)
    # The first-token shortcut is only for heads that read the first token.
    assert engine.first_token_shortcut == (pooling == "first_token")
    assert engine.embed(texts[:2]).shape == (2, saved.config.hidden_size)


def test_the_head_starts_from_a_linear_probe_of_the_frozen_encoder(tiny_bert_dir, tmp_path):
    texts, labels = synthetic_reviews(80)
    # lr 1e-9 and one step: what is saved is, in effect, the probe's head.
    probe_only = ClassifierTrainConfig(
        epochs=1,
        max_steps=1,
        lr=1e-9,
        batch_size=8,
        max_length=32,
        device="cpu",
        tune_class_offsets=False,
        lexical_fusion=False,  # the encoder's head alone
    )
    warm = train_classifier(texts, labels, probe_only, tiny_bert_dir, tmp_path / "warm")
    cold = train_classifier(
        texts,
        labels,
        ClassifierTrainConfig(**{**probe_only.__dict__, "head_warm_start": False}),
        tiny_bert_dir,
        tmp_path / "cold",
    )
    probe = warm.metrics["head_warm_start"]
    assert probe["train_accuracy"] > 0.9  # the synthetic classes are separable by their words
    assert probe["seconds"] > 0
    assert cold.metrics["head_warm_start"] is None
    # A random head is at chance on held-out rows; the probe's head is not.
    assert warm.metrics["test"]["accuracy"] >= cold.metrics["test"]["accuracy"] + 0.2
