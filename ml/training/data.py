"""Labelled text data: label encoding, seeded stratified splits, class weights, review CSVs."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LabelEncoding:
    """A fixed mapping between label names and class indices (indices follow `labels`)."""

    labels: tuple[str, ...]

    @classmethod
    def fit(cls, labels: Sequence[str]) -> LabelEncoding:
        """Sorted distinct labels, so the same label set always gets the same indices."""
        distinct = sorted({str(label) for label in labels})
        if not distinct:
            raise ValueError("Cannot build a label encoding from no labels.")
        return cls(tuple(distinct))

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.labels))

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    def encode(self, labels: Sequence[str]) -> list[int]:
        """Indices of `labels`; raises ValueError naming the first unknown label."""
        mapping = self.label2id
        try:
            return [mapping[str(label)] for label in labels]
        except KeyError as error:
            raise ValueError(f"Unknown label {error.args[0]!r}; known: {self.labels}.") from None

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.labels[i] for i in ids]


@dataclass(frozen=True)
class Split:
    """Texts and integer labels of one part of a data set."""

    texts: tuple[str, ...]
    labels: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.texts)

    def label_counts(self, encoding: LabelEncoding) -> dict[str, int]:
        counts = Counter(self.labels)
        return {name: counts.get(i, 0) for i, name in enumerate(encoding.labels)}


@dataclass(frozen=True)
class DatasetSplits:
    train: Split
    validation: Split
    test: Split

    def summary(self, encoding: LabelEncoding) -> dict[str, Any]:
        """Rows and label counts per split, JSON-ready."""
        parts = {"train": self.train, "validation": self.validation, "test": self.test}
        return {
            "rows": {name: len(part) for name, part in parts.items()},
            "label_counts": {name: part.label_counts(encoding) for name, part in parts.items()},
        }


def validate_examples(texts: Sequence[str], labels: Sequence[Any]) -> None:
    """Raise ValueError for mismatched lengths, no rows, or non-string / blank texts."""
    if len(texts) != len(labels):
        raise ValueError(f"Got {len(texts)} texts but {len(labels)} labels.")
    if not texts:
        raise ValueError("No examples were given.")
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"Text #{i} is empty or not a string.")


def stratified_split(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    validation_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
) -> DatasetSplits:
    """Split per class so that each part keeps the class proportions; seeded and stable.

    For each class with n rows, round(n * fraction) rows go to validation and to test, at
    least one each when n >= 3 (so every class is evaluated), and the rest to train. Within
    each part the order is shuffled with the same seed. Raises ValueError for bad fractions or
    fewer than two rows in total for training.
    """
    validate_examples(texts, labels)
    if not (0 <= validation_fraction < 1 and 0 <= test_fraction < 1):
        raise ValueError("Fractions must lie in [0, 1).")
    if validation_fraction + test_fraction >= 1:
        raise ValueError("validation_fraction + test_fraction must be below 1.")
    rng = random.Random(seed)
    by_class: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(int(label), []).append(index)
    parts: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for label in sorted(by_class):
        indices = by_class[label]
        rng.shuffle(indices)
        n = len(indices)
        n_val = round(n * validation_fraction)
        n_test = round(n * test_fraction)
        if n >= 3:
            n_val = max(n_val, 1 if validation_fraction > 0 else 0)
            n_test = max(n_test, 1 if test_fraction > 0 else 0)
        while n_val + n_test >= n and (n_val or n_test):  # keep at least one training row
            if n_test >= n_val and n_test:
                n_test -= 1
            else:
                n_val -= 1
        parts["validation"] += indices[:n_val]
        parts["test"] += indices[n_val : n_val + n_test]
        parts["train"] += indices[n_val + n_test :]
    made: dict[str, Split] = {}
    for name, indices in parts.items():
        rng.shuffle(indices)
        made[name] = Split(tuple(texts[i] for i in indices), tuple(int(labels[i]) for i in indices))
    if len(made["train"]) < 2:
        raise ValueError("Too few rows to train on.")
    return DatasetSplits(made["train"], made["validation"], made["test"])


def class_weights(labels: Sequence[int], num_classes: int) -> list[float]:
    """Inverse-frequency weights, normalised so that they average 1 over the examples:

    w_c = N / (K_present * n_c), where n_c is the count of class c, N = sum_c n_c and
    K_present the number of classes with n_c > 0; an absent class gets w_c = 0. Then
    sum_c n_c * w_c = N, so the weighted loss keeps the scale of the unweighted one.
    (This is scikit-learn's "balanced" weighting.)
    """
    counts = Counter(int(label) for label in labels)
    present = [c for c in range(num_classes) if counts.get(c, 0) > 0]
    if not present:
        raise ValueError("class_weights needs at least one label.")
    total = sum(counts[c] for c in present)
    return [
        total / (len(present) * counts[c]) if counts.get(c, 0) > 0 else 0.0
        for c in range(num_classes)
    ]


@dataclass(frozen=True)
class RatedReview:
    text: str
    rating: int


def read_rated_reviews(path: str | Path) -> list[RatedReview]:
    """Reviews with a text and a 1-5 rating from a CSV (or the first CSV inside a .zip).

    Expects the columns of the Women's E-Commerce Clothing Reviews set ("Review Text",
    "Rating"); rows without text or with an unparsable rating are skipped. Texts may span
    lines, so the file is parsed as CSV, never line by line.
    """
    source = Path(path)
    if source.suffix.lower() == ".zip":
        with zipfile.ZipFile(source) as archive:
            member = next((n for n in archive.namelist() if n.lower().endswith(".csv")), None)
            if member is None:
                raise ValueError(f"{source} holds no CSV file.")
            with archive.open(member) as raw:
                return _parse_reviews(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
    with source.open(encoding="utf-8-sig", newline="") as handle:
        return _parse_reviews(handle)


def _parse_reviews(handle: Iterable[str]) -> list[RatedReview]:
    reviews = []
    for row in csv.DictReader(handle):
        text = (row.get("Review Text") or "").strip()
        try:
            rating = int(row.get("Rating") or "")
        except ValueError:
            continue
        if text and 1 <= rating <= 5:
            reviews.append(RatedReview(text, rating))
    return reviews


def sentiment_from_rating(rating: int) -> str:
    """The usual 5-star mapping: 4-5 positive, 3 neutral, 1-2 negative."""
    if rating >= 4:
        return "positive"
    if rating <= 2:
        return "negative"
    return "neutral"
