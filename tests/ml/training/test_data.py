import zipfile
from collections import Counter

import pytest

from ml.training.data import (
    LabelEncoding,
    class_weights,
    read_rated_reviews,
    sentiment_from_rating,
    stratified_split,
)


def test_label_encoding_is_sorted_and_round_trips():
    encoding = LabelEncoding.fit(["pos", "neg", "pos", "neu"])
    assert encoding.labels == ("neg", "neu", "pos")
    assert encoding.encode(["pos", "neg"]) == [2, 0]
    assert encoding.decode([1, 2]) == ["neu", "pos"]
    assert encoding.id2label == {0: "neg", 1: "neu", 2: "pos"}


def test_label_encoding_rejects_unknown_labels():
    with pytest.raises(ValueError, match="Unknown label 'maybe'"):
        LabelEncoding.fit(["a", "b"]).encode(["maybe"])


def _rows(counts: dict[int, int]) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for label, n in counts.items():
        texts += [f"text {label}-{i}" for i in range(n)]
        labels += [label] * n
    return texts, labels


def test_stratified_split_keeps_class_proportions_and_uses_every_row_once():
    texts, labels = _rows({0: 80, 1: 20})
    splits = stratified_split(texts, labels, validation_fraction=0.1, test_fraction=0.2, seed=1)
    assert Counter(splits.test.labels) == {0: 16, 1: 4}
    assert Counter(splits.validation.labels) == {0: 8, 1: 2}
    assert Counter(splits.train.labels) == {0: 56, 1: 14}
    everything = splits.train.texts + splits.validation.texts + splits.test.texts
    assert sorted(everything) == sorted(texts)


def test_stratified_split_gives_each_class_of_three_rows_one_evaluation_row():
    texts, labels = _rows({0: 50, 1: 3})
    splits = stratified_split(texts, labels, seed=0)
    assert 1 in splits.validation.labels
    assert 1 in splits.test.labels
    assert 1 in splits.train.labels


def test_stratified_split_is_reproducible_and_seed_dependent():
    texts, labels = _rows({0: 40, 1: 40})
    first = stratified_split(texts, labels, seed=3)
    assert stratified_split(texts, labels, seed=3) == first
    assert stratified_split(texts, labels, seed=4).test.texts != first.test.texts


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a"], [0, 1], "2 labels"),
        ([], [], "No examples"),
        (["ok", "  "], [0, 1], "empty"),
    ],
)
def test_stratified_split_rejects_bad_input(texts, labels, message):
    with pytest.raises(ValueError, match=message):
        stratified_split(texts, labels)


def test_stratified_split_rejects_fractions_leaving_nothing_to_train():
    texts, labels = _rows({0: 10, 1: 10})
    with pytest.raises(ValueError, match="below 1"):
        stratified_split(texts, labels, validation_fraction=0.5, test_fraction=0.5)


def test_class_weights_are_balanced_inverse_frequency():
    # N = 4, K = 2: w0 = 4 / (2 * 3), w1 = 4 / (2 * 1)
    weights = class_weights([0, 0, 0, 1], 2)
    assert weights == pytest.approx([2 / 3, 2.0])
    assert 3 * weights[0] + 1 * weights[1] == pytest.approx(4)


def test_class_weights_give_absent_classes_zero():
    assert class_weights([0, 2], 3) == pytest.approx([1.0, 0.0, 1.0])


CSV = (
    ",Clothing ID,Age,Title,Review Text,Rating,Recommended IND\n"
    '0,1,30,,"Lovely dress.\nSecond line, with comma",5,1\n'
    "1,2,40,,,4,1\n"
    "2,3,50,Meh,Too small,2,0\n"
    "3,4,20,,No rating,,0\n"
)


def test_read_rated_reviews_parses_multiline_texts_and_skips_incomplete_rows(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(CSV, encoding="utf-8")
    reviews = read_rated_reviews(path)
    assert [(r.text, r.rating) for r in reviews] == [
        ("Lovely dress.\nSecond line, with comma", 5),
        ("Too small", 2),
    ]


def test_read_rated_reviews_reads_the_csv_inside_a_zip(tmp_path):
    path = tmp_path / "reviews.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Reviews.csv", CSV)
    assert len(read_rated_reviews(path)) == 2


@pytest.mark.parametrize(
    ("rating", "label"),
    [(5, "positive"), (4, "positive"), (3, "neutral"), (2, "negative"), (1, "negative")],
)
def test_sentiment_from_rating(rating, label):
    assert sentiment_from_rating(rating) == label
