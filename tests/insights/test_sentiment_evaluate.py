"""`manage.py sentiment_evaluate` on small labelled files."""

import csv
import re

import pytest
from django.core.management import CommandError, call_command

from insights.services.sentiment import sentiment_champion_served
from ml.training.metrics import accuracy, macro_f1
from tests.insights import sentiment_fixtures
from tests.insights.sentiment_fixtures import (
    LABELS,
    build_tiny_classifier,
    register_sentiment_version,
)

# Shared fixtures (assigned, not imported, so that test arguments do not shadow imports).
artifact_store = sentiment_fixtures.artifact_store
clean_model_cache = sentiment_fixtures.clean_model_cache
sentiment_champion = sentiment_fixtures.sentiment_champion
tiny_classifier_dir = sentiment_fixtures.tiny_classifier_dir

pytestmark = pytest.mark.django_db

ROWS = [
    ("Love it", "Fits perfectly and the fabric is soft", "5"),
    ("", "Fell apart after one wash", "1"),
    ("Okay", "Nothing special, does the job", "3"),
    ("", "Runs small, had to return it", "2"),
    ("Great", "Beautiful colour", "4"),
    ("", "", "5"),  # no text: skipped
    ("", "Unrated", ""),  # no label: skipped
]
LABEL_MAP = "1:negative,2:negative,3:neutral,4:positive,5:positive"


@pytest.fixture
def reviews_csv(tmp_path):
    path = tmp_path / "labelled.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "body", "stars"])
        writer.writerows(ROWS)
    return path


def evaluate(capsys, *args: str) -> str:
    call_command("sentiment_evaluate", *args)
    return capsys.readouterr().out


def expected_scores(texts: list[str], labels: list[str]) -> tuple[float, float]:
    engine = sentiment_champion_served().model
    predicted = engine.classify(texts).labels
    index = {name: i for i, name in enumerate(engine.label_names)}
    truth, guess = [index[x] for x in labels], [index[x] for x in predicted]
    return accuracy(truth, guess), macro_f1(truth, guess, len(index))


def test_prints_accuracy_macro_f1_and_per_class_f1_of_the_champion(
    sentiment_champion, reviews_csv, capsys
):
    out = evaluate(
        capsys, "--csv", str(reviews_csv), "--text-col", "body", "--label-col", "stars",
        "--title-col", "title", "--label-map", LABEL_MAP,
    )  # fmt: skip

    texts = [f"{t}. {b}" if t else b for t, b, s in ROWS[:5]]
    labels = ["positive", "negative", "neutral", "negative", "positive"]
    expected_accuracy, expected_f1 = expected_scores(texts, labels)
    assert out.splitlines()[:5] == [
        "Model: sentiment v1 (champion)",
        "Rows: 5 (skipped: 1 no text, 1 no label)",
        f"Accuracy: {expected_accuracy:.4f}",
        f"Macro-F1: {expected_f1:.4f}",
        "Per-class F1:",
    ]
    per_class = out.splitlines()[5:]
    assert [line.split()[0] for line in per_class] == list(LABELS)
    assert re.search(r"negative\s+F1 \d\.\d{4}.*support 2$", per_class[0])


def test_evaluates_a_named_version_that_is_not_champion(
    sentiment_champion, reviews_csv, tmp_path, capsys
):
    register_sentiment_version(build_tiny_classifier(tmp_path / "v2", seed=2), promote=False)

    out = evaluate(
        capsys, "--csv", str(reviews_csv), "--text-col", "body", "--label-col", "stars",
        "--label-map", LABEL_MAP, "--version", "2",
    )  # fmt: skip

    assert out.splitlines()[0] == "Model: sentiment v2"


def test_labels_outside_the_map_are_skipped(sentiment_champion, reviews_csv, capsys):
    out = evaluate(
        capsys, "--csv", str(reviews_csv), "--text-col", "body", "--label-col", "stars",
        "--label-map", "1:negative,5:positive",
    )  # fmt: skip

    assert "Rows: 2 (skipped: 1 no text, 1 no label, 3 label not in the map)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-col", "review"], r"has no column\(s\) \['review'\]"),
        (["--text-col", "body", "--label-map", "1=negative"], "Bad --label-map entry '1=negative'"),
        (["--text-col", "body"], r"Labels \['1', '2', '3', '4', '5'\] are not among"),
        (
            ["--text-col", "body", "--label-map", LABEL_MAP, "--version", "9"],
            "no sentiment version 9",
        ),
    ],
)
def test_bad_input_is_a_readable_error(sentiment_champion, reviews_csv, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("sentiment_evaluate", "--csv", str(reviews_csv), "--label-col", "stars", *args)


def test_without_a_champion_it_says_so(artifact_store, reviews_csv):
    with pytest.raises(CommandError, match="No sentiment model is champion yet"):
        call_command(
            "sentiment_evaluate", "--csv", str(reviews_csv), "--text-col", "body",
            "--label-col", "stars", "--label-map", LABEL_MAP,
        )  # fmt: skip


def test_a_missing_file_is_a_readable_error(sentiment_champion, tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*nope.csv"):
        call_command(
            "sentiment_evaluate", "--csv", str(tmp_path / "nope.csv"), "--text-col", "t",
            "--label-col", "l",
        )  # fmt: skip
