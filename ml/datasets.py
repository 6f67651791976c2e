"""Training data for the fine-tuning jobs, chosen by name in the job's parameters.

Each dataset returns plain lists (the pure engine in `ml/training/` takes nothing else) and a
summary that is stored with the model version. Unusable data raises `BadJobInput`, which fails
the job at once with a readable message and is never retried.

The platform provides the file-based datasets; apps add their own with
`register_classification_dataset` from their `tasks` module (insights registers
`store_reviews_sentiment`, the store's reviews with staff label corrections applied), so the
data of a feature lives with the feature.
"""

import csv
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ml.exceptions import BadJobInput
from shop import selectors as shop_selectors

MIN_ROWS = 20


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[str]
    source: str
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PromptPairs:
    prompts: list[str]
    completions: list[str]
    source: str
    summary: dict = field(default_factory=dict)


def csv_file(
    *, path: str, text_column: str, label_column: str, max_rows: int, **_
) -> LabelledTexts:
    texts, labels, source = read_labelled_csv_rows(path, text_column, label_column, max_rows)
    return checked_labelled_texts(texts, labels, source=source)


def read_labelled_csv_rows(
    path: str, text_column: str, label_column: str, max_rows: int
) -> tuple[list[str], list[str], str]:
    """The (text, label) rows of a CSV with both cells filled, at most max_rows, and a source
    name; BadJobInput when the file or a column is missing."""
    file = Path(path)
    if not file.is_file():
        raise BadJobInput(f"Data file {path} does not exist.")
    texts: list[str] = []
    labels: list[str] = []
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {text_column, label_column} - set(reader.fieldnames or [])
        if missing:
            raise BadJobInput(f"{file.name} has no column(s) {sorted(missing)}.")
        for row in reader:
            text = (row[text_column] or "").strip()
            label = (row[label_column] or "").strip()
            if text and label:
                texts.append(text)
                labels.append(label)
            if len(texts) >= max_rows:
                break
    return texts, labels, f"file {file.name}"


def store_review_titles(*, max_rows: int, **_: object) -> PromptPairs:
    """Teach the store's voice: write a review's title from its text."""
    pairs = shop_selectors.review_title_pairs_for_training(limit=max_rows)
    if len(pairs) < MIN_ROWS:
        raise BadJobInput(f"Only {len(pairs)} reviews have a title and text; {MIN_ROWS} needed.")
    prompts = [f"Review: {text}\nTitle:" for text, _title in pairs]
    completions = [f" {title}" for _text, title in pairs]
    return PromptPairs(prompts, completions, "store review titles", {"rows": len(pairs)})


def jsonl_pairs(*, path: str, max_rows: int, **_: object) -> PromptPairs:
    file = Path(path)
    if not file.is_file():
        raise BadJobInput(f"Data file {path} does not exist.")
    prompts, completions = [], []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                prompts.append(str(row["prompt"]))
                completions.append(str(row["completion"]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise BadJobInput(
                    f"{file.name} line {number}: needs prompt and completion"
                ) from exc
            if len(prompts) >= max_rows:
                break
    if len(prompts) < MIN_ROWS:
        raise BadJobInput(f"{file.name} has {len(prompts)} pairs; {MIN_ROWS} needed.")
    return PromptPairs(prompts, completions, f"file {file.name}", {"rows": len(prompts)})


ClassificationDataset = Callable[..., LabelledTexts]
"""dataset(**job_params) -> LabelledTexts; it reads the keys it needs (max_rows, path...)."""

CLASSIFICATION_DATASETS: dict[str, ClassificationDataset] = {"csv_file": csv_file}
_CLASSIFICATION_DESCRIPTIONS: dict[str, str] = {
    "csv_file": "A CSV file on the worker with text and label columns",
}
GENERATION_DATASETS = {
    "store_review_titles": store_review_titles,
    "jsonl_file": jsonl_pairs,
}


def register_classification_dataset(
    name: str, dataset: ClassificationDataset, *, description: str
) -> None:
    """Offer `dataset` as a choice of the classifier fine-tuning job's `dataset` parameter.

    Registering the same function again is a no-op (modules may be imported twice); another
    function under a taken name raises ValueError, so no app silently replaces another's data.
    """
    current = CLASSIFICATION_DATASETS.get(name)
    if current is not None and _qualified_name(current) != _qualified_name(dataset):
        raise ValueError(f"Classification dataset {name!r} is already registered by {current}.")
    CLASSIFICATION_DATASETS[name] = dataset
    _CLASSIFICATION_DESCRIPTIONS[name] = description


def classification_dataset_choices() -> list[tuple[str, str]]:
    """(name, "name: description") of every registered classification dataset, by name."""
    return [
        (name, f"{name}: {_CLASSIFICATION_DESCRIPTIONS.get(name, '')}".rstrip(": "))
        for name in sorted(CLASSIFICATION_DATASETS)
    ]


def _qualified_name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def checked_labelled_texts(
    texts: list[str], labels: list[str], *, source: str, summary: dict | None = None
) -> LabelledTexts:
    """The rows as LabelledTexts, or BadJobInput when they cannot train a classifier.

    Needs MIN_ROWS rows, two labels or more, and 3 rows or more of each label (the split
    needs one per part). The summary holds rows and label_counts, plus `summary`.
    """
    counts = Counter(labels)
    if len(texts) < MIN_ROWS:
        raise BadJobInput(f"Only {len(texts)} labelled rows in {source}; {MIN_ROWS} needed.")
    if len(counts) < 2:
        raise BadJobInput(f"{source} has a single label {sorted(counts)}; two or more needed.")
    rare = sorted(label for label, n in counts.items() if n < 3)
    if rare:
        raise BadJobInput(f"Labels {rare} have fewer than 3 rows in {source}; cannot split them.")
    full_summary = {"rows": len(texts), "label_counts": dict(sorted(counts.items()))}
    return LabelledTexts(texts, labels, source, {**full_summary, **(summary or {})})
