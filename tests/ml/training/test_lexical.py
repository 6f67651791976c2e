"""The lexical companion of fine-tuned classifiers (ml.training.lexical)."""

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from ml.services.registry import artifact_refuse_unsafe_files
from ml.training.classification import ClassifierTrainConfig, train_classifier
from ml.training.inference import EncoderEngine, EncoderEngineConfig
from ml.training.lexical import (
    ARRAYS_FILE,
    SETTINGS_FILE,
    LexicalModel,
    choose_fusion_weight,
    fit_lexical,
    log_softmax,
)

# Which of three products a message is about decides its label; the filler words do not.
KEYWORDS = ["parcel", "refund", "password"]
FILLER = ["hello", "please", "today", "again", "my", "the", "still", "why"]


def keyword_rows(n: int, seed: int) -> tuple[list[str], list[int]]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = i % 3
        words = [*rng.choice(FILLER, 4), KEYWORDS[label]]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def test_features_are_what_scikit_learn_s_tfidf_vectorizer_gives():
    texts, labels = keyword_rows(60, seed=0)
    unseen = ["a parcel nobody has seen, with words never trained on", "", "REFUND please"]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)

    model = fit_lexical(texts, labels, num_classes=3)

    for rows in (texts, unseen):
        ours = model.features(rows).toarray()
        assert np.allclose(ours, vectorizer.transform(rows).toarray(), atol=1e-12)


def test_it_learns_the_words_and_saves_without_pickles(tmp_path):
    texts, labels = keyword_rows(90, seed=1)
    model = fit_lexical(texts, labels, num_classes=3)
    model.weight = 0.3
    held_out, truth = keyword_rows(30, seed=2)

    model.save(tmp_path)
    loaded = LexicalModel.load(tmp_path)

    assert {p.name for p in tmp_path.iterdir()} == {ARRAYS_FILE, SETTINGS_FILE}
    artifact_refuse_unsafe_files(tmp_path)  # the registry stores it
    assert loaded.weight == 0.3
    before = model.log_probabilities(held_out)
    after = loaded.log_probabilities(held_out)
    assert np.allclose(before, after, atol=1e-5)
    assert (after.argmax(axis=1) == np.array(truth)).mean() == 1.0
    assert np.allclose(np.exp(after).sum(axis=1), 1.0)


def test_a_directory_without_a_lexical_model_loads_none(tmp_path):
    assert LexicalModel.load(tmp_path) is None


def test_an_unknown_ngram_range_is_refused(tmp_path):
    texts, labels = keyword_rows(30, seed=1)
    fit_lexical(texts, labels, num_classes=3).save(tmp_path)
    settings = json.loads((tmp_path / SETTINGS_FILE).read_text())
    (tmp_path / SETTINGS_FILE).write_text(json.dumps({**settings, "ngram_range": [1, 3]}))

    with pytest.raises(ValueError, match="n-gram range"):
        LexicalModel.load(tmp_path)


@pytest.mark.parametrize("present", [(0, 2), (1,)])
def test_classes_missing_from_the_training_rows_get_no_probability(present):
    texts = [f"order {KEYWORDS[c]} number {i}" for i in range(20) for c in present]
    labels = [c for _ in range(20) for c in present]

    model = fit_lexical(texts, labels, num_classes=3)
    scores = model.log_probabilities([f"my {KEYWORDS[c]}" for c in present])

    assert scores.shape == (len(present), 3)
    assert list(scores.argmax(axis=1)) == list(present)
    absent = [c for c in range(3) if c not in present]
    assert (np.exp(scores[:, absent]) < 1e-6).all()


def test_texts_without_words_give_a_model_that_fusion_leaves_out():
    texts, labels = ["?", "!", "a", ":)", "b", "1"], [0, 1, 2, 0, 1, 2]
    model = fit_lexical(texts, labels, num_classes=3)
    logits = np.eye(3)[[2, 0, 1, 2, 0, 1]] * 3.0

    choice = choose_fusion_weight(model, logits, texts, labels)

    assert model.vocabulary == [] and model.features(texts).shape == (6, 0)
    assert choice.weight == 0.0


def test_fusion_weight_is_chosen_where_it_helps_and_zero_where_it_does_not():
    texts, labels = keyword_rows(150, seed=3)
    model = fit_lexical(texts[:90], labels[:90], num_classes=3)
    valid_texts, valid_labels = texts[90:], labels[90:]
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(60, 3))
    perfect = np.eye(3)[valid_labels] * 5.0

    helps = choose_fusion_weight(model, noise, valid_texts, valid_labels)
    # Labels the words do not determine: the lexical model can only hurt a perfect encoder.
    shuffled = list(rng.permutation(valid_labels))
    useless = choose_fusion_weight(model, np.eye(3)[shuffled] * 5.0, valid_texts, shuffled)

    assert helps.weight > 0 and helps.macro_f1_by_weight[f"{helps.weight:g}"] == 1.0
    assert useless.weight == 0.0
    assert model.fuse(perfect, valid_texts) is perfect  # weight 0: the encoder's own logits


def test_fused_scores_are_the_weighted_log_probabilities():
    texts, labels = keyword_rows(60, seed=4)
    model = fit_lexical(texts, labels, num_classes=3)
    model.weight = 0.25
    logits = np.random.default_rng(1).normal(size=(len(texts), 3))

    fused = model.fuse(logits, texts)

    expected = 0.75 * log_softmax(logits) + 0.25 * model.log_probabilities(texts)
    assert np.allclose(fused, expected, atol=1e-5)


# One step at a negligible rate from a random head: the encoder stays at chance.
FUSED = ClassifierTrainConfig(
    epochs=1,
    max_steps=1,
    batch_size=8,
    lr=1e-7,
    max_length=16,
    device="cpu",
    seed=3,
    warmup_ratio=0.0,
    head_warm_start=False,
    tune_class_offsets=False,
)


@pytest.mark.slow
def test_a_trained_classifier_serves_the_fusion_its_metrics_measured(tiny_bert_dir, tmp_path):
    """The encoder is no better than chance; the words decide the labels."""
    ids, labels = keyword_rows(240, seed=5)
    names = ["delivery", "refund", "account"]

    run = train_classifier(ids, [names[c] for c in labels], FUSED, tiny_bert_dir, tmp_path / "m")

    fusion = run.metrics["lexical_fusion"]
    assert fusion["weight"] > 0
    assert fusion["validation_macro_f1_by_weight"][f"{fusion['weight']:g}"] >= max(
        fusion["validation_macro_f1_by_weight"].values()
    )
    assert fusion["validation_macro_f1_by_weight"]["0"] < 0.8  # the encoder alone
    assert (run.output_dir / ARRAYS_FILE).exists()
    test_texts, test_labels = keyword_rows(60, seed=6)
    engine = EncoderEngine(run.output_dir, EncoderEngineConfig(device="cpu", quantize="none"))
    assert engine.lexical is not None and engine.lexical.weight == fusion["weight"]
    served = engine.classify(test_texts)
    assert served.labels == [names[c] for c in test_labels]
    assert run.metrics["test"]["accuracy"] == 1.0


@pytest.mark.slow
def test_without_fusion_nothing_lexical_is_saved(tiny_bert_dir, tmp_path):
    ids, labels = keyword_rows(120, seed=5)
    config = ClassifierTrainConfig(**{**FUSED.__dict__, "lexical_fusion": False})

    run = train_classifier(ids, [str(c) for c in labels], config, tiny_bert_dir, tmp_path / "m")

    assert run.metrics["lexical_fusion"] is None
    assert not (run.output_dir / ARRAYS_FILE).exists()
    assert EncoderEngine(run.output_dir, EncoderEngineConfig(device="cpu")).lexical is None


def test_classes_are_weighted_as_the_encoder_s_loss_is_unless_told_not_to():
    # One text for every row: the model can only learn the class balance, 90 to 10.
    texts = ["hello please my parcel"] * 200
    labels = [1 if i % 10 == 0 else 0 for i in range(200)]

    balanced = fit_lexical(texts, labels, num_classes=2, balanced=True)
    plain = fit_lexical(texts, labels, num_classes=2)

    rare_share = {
        name: float(np.exp(model.log_probabilities(texts)[:, 1]).mean())
        for name, model in (("balanced", balanced), ("plain", plain))
    }
    assert rare_share["plain"] == pytest.approx(0.1, abs=0.01)
    assert rare_share["balanced"] == pytest.approx(0.5, abs=0.01)


def lexical_choice(texts, labels, try_balanced):
    """_fit_lexical on train/validation rows ({"train": [...], "validation": [...]} each),
    beside an encoder that knows nothing (zero logits)."""
    from ml.training.classification import _fit_lexical
    from ml.training.data import DatasetSplits, LabelEncoding, Split

    parts = {name: Split(tuple(texts[name]), tuple(labels[name])) for name in texts}
    splits = DatasetSplits(parts["train"], parts["validation"], parts["validation"])
    num_classes = max(labels["train"]) + 1
    encoding = LabelEncoding(tuple(str(c) for c in range(num_classes)))
    logits = np.zeros((len(parts["validation"]), num_classes))
    return _fit_lexical(splits, encoding, logits, try_balanced=try_balanced)


def rare_class_rows(n: int, seed: int) -> tuple[list[str], list[int]]:
    """10% rare rows; "refund" is in 60% of them and in 10% of the common ones."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = int(i % 10 == 0)
        words = list(rng.choice(FILLER, 4))
        if rng.random() < (0.6 if label else 0.1):
            words.append("refund")
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def test_the_class_weighting_that_fuses_better_on_validation_is_kept():
    train, validation = rare_class_rows(600, seed=7), rare_class_rows(300, seed=8)
    texts = {"train": train[0], "validation": validation[0]}
    labels = {"train": train[1], "validation": validation[1]}

    model, fusion = lexical_choice(texts, labels, try_balanced=True)
    unweighted_only, plain = lexical_choice(texts, labels, try_balanced=False)

    # Unweighted, "refund" alone does not tip a row to the rare class (p about 0.4).
    scores = fusion["validation_macro_f1_by_class_weight"]
    assert scores["balanced"] > scores["none"] + 0.03
    assert fusion["class_weight"] == "balanced" and model.weight > 0
    assert plain["class_weight"] is None
    assert list(plain["validation_macro_f1_by_class_weight"]) == ["none"]
    rare = np.exp(model.log_probabilities(["hello refund please"]))[0, 1]
    assert rare > 0.5 > np.exp(unweighted_only.log_probabilities(["hello refund please"]))[0, 1]


def test_equal_scores_keep_the_unweighted_model():
    texts, labels = keyword_rows(150, seed=9)  # 50 rows per class: every class weight is 1

    _, fusion = lexical_choice(
        {"train": texts[:90], "validation": texts[90:]},
        {"train": labels[:90], "validation": labels[90:]},
        try_balanced=True,
    )

    scores = fusion["validation_macro_f1_by_class_weight"]
    assert scores["none"] == scores["balanced"]
    assert fusion["class_weight"] is None
