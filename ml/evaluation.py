"""Evaluating a classifier on any labelled CSV file: reading the rows, mapping the file's
labels onto the model's, and scoring named labels (formulas in ml.training.metrics).

Shared by the `*_evaluate` management commands, which turn LabelledFileError into a
CommandError.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.training.metrics import classification_report


class LabelledFileError(ValueError):
    """The file or an option describing it cannot be used; the message says why."""


@dataclass(frozen=True)
class LabelledRows:
    texts: list[str]
    labels: list[str]
    skipped: dict[str, int] = field(default_factory=dict)

    def skipped_text(self) -> str:
        """ "3 no text, 1 no label", or "" when nothing was skipped."""
        return ", ".join(f"{n} {why}" for why, n in self.skipped.items() if n)


def parse_label_map(value: str) -> dict[str, str]:
    """ "1:negative,2:negative" -> {"1": "negative", "2": "negative"}."""
    mapping: dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        source, separator, target = item.partition(":")
        if not separator or not source.strip() or not target.strip():
            raise LabelledFileError(
                f"Bad --label-map entry {item!r}; write FILE_LABEL:MODEL_LABEL."
            )
        mapping[source.strip()] = target.strip()
    if not mapping:
        raise LabelledFileError("--label-map is empty.")
    return mapping


def read_labelled_csv(
    path: Path,
    *,
    text_col: str,
    label_col: str,
    title_col: str | None = None,
    label_map: dict[str, str] | None = None,
    limit: int | None = None,
) -> LabelledRows:
    """The rows with a text and a (mapped) label; text is "title. text" with a title column.

    Raises LabelledFileError when the file cannot be read or lacks a column.
    """
    texts: list[str] = []
    labels: list[str] = []
    skipped = {"no text": 0, "no label": 0, "label not in the map": 0}
    try:
        handle = Path(path).open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise LabelledFileError(f"Cannot read {path}: {exc.strerror}.") from exc
    with handle:
        reader = csv.DictReader(handle)
        wanted = {text_col, label_col} | ({title_col} if title_col else set())
        missing = sorted(wanted - set(reader.fieldnames or []))
        if missing:
            raise LabelledFileError(
                f"{Path(path).name} has no column(s) {missing}; it has {reader.fieldnames}."
            )
        for row in reader:
            text = (row[text_col] or "").strip()
            label = (row[label_col] or "").strip()
            if not text:
                skipped["no text"] += 1
                continue
            if not label:
                skipped["no label"] += 1
                continue
            if label_map is not None:
                if label not in label_map:
                    skipped["label not in the map"] += 1
                    continue
                label = label_map[label]
            title = (row[title_col] or "").strip() if title_col else ""
            texts.append(f"{title}. {text}" if title else text)
            labels.append(label)
            if limit and len(texts) >= limit:
                break
    return LabelledRows(texts, labels, skipped)


def named_classification_report(
    true_labels: Sequence[str], predicted: Sequence[str], names: Sequence[str]
) -> dict[str, Any]:
    """classification_report of label names; raises LabelledFileError for a true label the
    model does not know (predicted labels are always among `names`)."""
    unknown = sorted(set(true_labels) - set(names))
    if unknown:
        raise LabelledFileError(
            f"Labels {unknown} are not among the model's labels {list(names)}; map them with "
            "--label-map."
        )
    index = {name: i for i, name in enumerate(names)}
    return classification_report(
        [index[label] for label in true_labels],
        [index[label] for label in predicted],
        list(names),
    )
