"""Per-class logit offsets tuned for macro-F1 on validation rows."""

import numpy as np
import pytest

from ml.training.classification import ClassifierTrainConfig, train_classifier
from ml.training.decision import fit_class_offsets
from ml.training.loading import load_encoder
from ml.training.metrics import macro_f1
from tests.ml.training.test_classification import synthetic_reviews


def under_predicted_rare_class(n: int = 600, seed: int = 0):
    """Logits of a model that knows the classes but scores class 2 (rare) 1.5 too low."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=[0.3, 0.6, 0.1])
    logits = rng.normal(0.0, 0.6, size=(n, 3))
    logits[np.arange(n), labels] += 2.0
    logits[:, 2] -= 1.5
    return logits, labels.tolist()


def test_offsets_recover_a_rare_class_that_argmax_misses():
    logits, labels = under_predicted_rare_class()
    fitted = fit_class_offsets(logits, labels)
    assert fitted.applied
    assert fitted.offsets[0] == 0.0
    assert fitted.offsets[2] > 0.5  # pushes the under-scored class back up
    assert fitted.macro_f1_after > fitted.macro_f1_before + 0.05
    shifted = (logits + np.array(fitted.offsets)).argmax(axis=1).tolist()
    assert macro_f1(labels, shifted, 3) == pytest.approx(fitted.macro_f1_after)


def test_offsets_that_transfer_to_new_rows_from_the_same_model():
    logits, labels = under_predicted_rare_class(seed=0)
    fresh_logits, fresh_labels = under_predicted_rare_class(seed=1)
    fitted = fit_class_offsets(logits, labels)
    before = macro_f1(fresh_labels, fresh_logits.argmax(axis=1).tolist(), 3)
    after = macro_f1(
        fresh_labels, (fresh_logits + np.array(fitted.offsets)).argmax(axis=1).tolist(), 3
    )
    assert after > before + 0.03


def test_a_model_already_at_its_best_keeps_plain_argmax():
    labels = [0, 1, 2] * 20
    logits = np.eye(3)[labels] * 5.0
    fitted = fit_class_offsets(logits, labels)
    assert not fitted.applied
    assert fitted.offsets == (0.0, 0.0, 0.0)
    assert fitted.macro_f1_before == fitted.macro_f1_after == 1.0


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        fit_class_offsets(np.zeros((3, 2)), [0, 1])


@pytest.mark.slow
def test_training_folds_the_offsets_into_the_saved_output_layer(tiny_bert_dir, tmp_path):
    texts, labels = synthetic_reviews(60)
    config = ClassifierTrainConfig(epochs=1, batch_size=8, lr=1e-3, max_length=32, device="cpu")
    tuned = train_classifier(texts, labels, config, tiny_bert_dir, tmp_path / "tuned")
    plain = train_classifier(
        texts,
        labels,
        ClassifierTrainConfig(**{**config.__dict__, "tune_class_offsets": False}),
        tiny_bert_dir,
        tmp_path / "plain",
    )
    offsets = tuned.metrics["class_offsets"]
    assert set(offsets) == {"offsets", "macro_f1_before", "macro_f1_after", "applied"}
    assert plain.metrics["class_offsets"] is None
    saved = load_encoder(tuned.output_dir).model
    reference = load_encoder(plain.output_dir).model
    difference = (saved.classifier.bias - reference.classifier.bias).tolist()
    expected = offsets["offsets"] if offsets["applied"] else [0.0, 0.0]
    assert difference == pytest.approx(expected, abs=1e-6)
