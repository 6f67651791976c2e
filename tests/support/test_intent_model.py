"""The intent model: trained through the finetune_classifier job's path with a tiny encoder,
predicting intents, or None ("not sure") below the threshold chosen on validation rows."""

import csv
import dataclasses
import json

import pytest
from django.core.management import CommandError, call_command

from ml.exceptions import AliasNotSet
from ml.models import Job, ModelVersion
from ml.selectors import alias_get, artifact_local_dir
from support import selectors
from support.intent_engine import REJECT_FILE
from support.models import Intent
from support.seed import read_seed_examples
from tests.support.conftest import register_intent_version

pytestmark = pytest.mark.django_db

MESSAGES = ["where is my order DEMO-000123", "hi there", "I want my money back", "size 12?"]


def write_csv(path, rows, *, header=("utterance", "label")):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def seed_rows(keys: set[str]) -> list[tuple[str, str]]:
    return [(text, key) for text, key in read_seed_examples() if key in keys]


def test_the_trained_model_stores_a_threshold_chosen_on_validation_rows(trained_intent_dir):
    stored = json.loads((trained_intent_dir / REJECT_FILE).read_text())
    metrics = json.loads((trained_intent_dir / "metrics.json").read_text())

    assert 0 < stored["threshold"] <= 1
    assert stored["rows"] == metrics["validation"]["rows"]
    assert stored["test"]["rows"] == metrics["test"]["rows"]


def test_predict_returns_the_champions_intents_with_confidence_and_version(
    tiny_encoder, trained_intent_dir
):
    version = register_intent_version(trained_intent_dir)

    predictions = selectors.intent_predict(MESSAGES)

    assert [p.version for p in predictions] == [version] * 4
    keys = set(Intent.objects.values_list("key", flat=True))
    for prediction in predictions:
        assert prediction.best_guess in keys
        assert 0 < prediction.confidence <= 1
        assert prediction.intent in (prediction.best_guess, None)


def test_predictions_below_the_threshold_are_not_sure(tiny_encoder, trained_intent_dir):
    version = register_intent_version(trained_intent_dir)
    model = selectors.intent_model_load(artifact_local_dir(version=version), version)
    confidences = sorted(p.confidence for p in selectors._predict(version, model, MESSAGES))
    middle = dataclasses.replace(model, threshold=(confidences[1] + confidences[2]) / 2)

    predictions = selectors._predict(version, middle, MESSAGES)

    sure = [p for p in predictions if p.intent is not None]
    assert len(sure) == 2
    assert all(p.intent == p.best_guess and p.confidence > middle.threshold for p in sure)
    assert all(p.confidence < middle.threshold for p in predictions if p.intent is None)


def test_a_version_without_a_stored_threshold_is_always_sure(tiny_encoder, trained_intent_dir):
    version = register_intent_version(trained_intent_dir)
    model = selectors.intent_model_load(artifact_local_dir(version=version), version)

    predictions = selectors._predict(version, dataclasses.replace(model, threshold=None), MESSAGES)

    assert [p.intent for p in predictions] == [p.best_guess for p in predictions]


def test_predict_without_a_champion_says_so(tiny_encoder):
    with pytest.raises(AliasNotSet, match="No intent model is champion"):
        selectors.intent_predict(["hello"])


def test_intent_train_on_a_csv_runs_the_job_and_registers_an_intent_version(
    tiny_encoder, tmp_path, capsys
):
    rows = seed_rows({"refund", "account", "talk_to_human", "greeting_other"})
    path = write_csv(tmp_path / "labelled.csv", rows)

    call_command(
        "intent_train", "--csv", str(path), "--text-col", "utterance", "--label-col", "label",
        "--epochs", "2", "--max-length", "32", "--promote",
    )  # fmt: skip

    job = Job.objects.get()
    version = ModelVersion.objects.get()
    assert (job.kind, job.status, job.model_version) == (
        "finetune_classifier",
        Job.Status.SUCCEEDED,
        version,
    )
    assert (job.params["task"], job.params["dataset"]) == ("intent", "csv_file")
    assert version.task == "intent"
    assert version.data_summary["rows"] == len(rows)
    assert set(version.metrics["reject_threshold"]) >= {"threshold", "precision", "coverage"}
    assert (artifact_local_dir(version=version) / REJECT_FILE).is_file()
    assert alias_get(task="intent").version == version
    out = capsys.readouterr().out
    assert f"registered {version}" in out
    assert "Not-sure threshold:" in out


def test_intent_train_with_a_test_csv_reports_metrics_on_its_rows(tiny_encoder, tmp_path, capsys):
    rows = seed_rows({"refund", "account", "talk_to_human", "greeting_other"})
    train = write_csv(tmp_path / "train.csv", rows)
    test = write_csv(tmp_path / "test.csv", rows[::3])

    call_command(
        "intent_train", "--csv", str(train), "--test-csv", str(test), "--text-col", "utterance",
        "--label-col", "label", "--epochs", "1", "--max-length", "32",
    )  # fmt: skip

    version = ModelVersion.objects.get()
    assert version.metrics["test"]["rows"] == len(rows[::3])
    assert version.data_summary["splits"]["rows"]["test"] == len(rows[::3])
    assert version.metrics["reject_threshold"]["test"]["rows"] == len(rows[::3])
    assert f"Test rows: {len(rows[::3])} from file test.csv" in capsys.readouterr().out


def test_intent_train_without_a_csv_trains_on_the_store_examples(tiny_encoder):
    call_command("intent_train", "--epochs", "1", "--max-rows", "120", "--max-length", "32")

    version = ModelVersion.objects.get()
    assert version.hyperparameters["dataset"] == "support_intents"
    assert version.data_summary["rows"] == 120
    assert alias_get(task="intent") is None  # not promoted without --promote


def test_intent_train_with_unusable_data_fails_readably(tiny_encoder, tmp_path):
    path = write_csv(tmp_path / "one-label.csv", seed_rows({"refund"}))

    with pytest.raises(CommandError, match="single label"):
        call_command(
            "intent_train", "--csv", str(path), "--text-col", "utterance", "--label-col", "label"
        )
    assert Job.objects.get().status == Job.Status.FAILED
    assert not ModelVersion.objects.exists()


def test_intent_train_refuses_a_missing_file(tiny_encoder, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("intent_train", "--csv", str(tmp_path / "nope.csv"))
    assert not Job.objects.exists()


def test_intent_evaluate_prints_scores_and_the_not_sure_share(
    tiny_encoder, trained_intent_dir, tmp_path, capsys
):
    register_intent_version(trained_intent_dir)
    path = write_csv(tmp_path / "eval.csv", seed_rows({"refund", "account"})[:30])

    call_command(
        "intent_evaluate", "--csv", str(path), "--text-col", "utterance", "--label-col", "label"
    )

    out = capsys.readouterr().out
    assert "Model: intent v1 (champion)" in out
    assert "Rows: 30" in out
    for line in ("Accuracy: ", "Macro-F1: ", "Not sure: ", "  refund ", "  account "):
        assert line in out


def test_intent_evaluate_maps_file_labels_and_names_unknown_ones(
    tiny_encoder, trained_intent_dir, tmp_path, capsys
):
    register_intent_version(trained_intent_dir, promote=False)
    path = write_csv(tmp_path / "eval.csv", [("where is my refund", "money"), ("hi", "hello")])

    call_command(
        "intent_evaluate", "--csv", str(path), "--text-col", "utterance", "--label-col", "label",
        "--version", "1", "--label-map", "money:refund,hello:greeting_other",
    )  # fmt: skip
    assert "Rows: 2" in capsys.readouterr().out

    with pytest.raises(CommandError, match=r"Labels \['hello', 'money'\] are not among"):
        call_command(
            "intent_evaluate", "--csv", str(path), "--text-col", "utterance",
            "--label-col", "label", "--version", "1",
        )  # fmt: skip


def test_intent_evaluate_names_a_missing_version_or_column(tiny_encoder, tmp_path):
    path = write_csv(tmp_path / "eval.csv", [("hi", "greeting_other")])

    with pytest.raises(CommandError, match="no intent version 7"):
        call_command(
            "intent_evaluate", "--csv", str(path), "--text-col", "utterance",
            "--label-col", "label", "--version", "7",
        )  # fmt: skip
    with pytest.raises(CommandError, match=r"no column\(s\) \['text'\]"):
        call_command(
            "intent_evaluate", "--csv", str(path), "--text-col", "text", "--label-col", "label"
        )
