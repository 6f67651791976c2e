"""Fine-tuning jobs end to end on a real worker, with a tiny encoder built from a config."""

import random

import pytest
from transformers import AutoTokenizer, BertConfig, BertModel

from ml import services
from ml.models import Job, ModelVersion
from ml.selectors import alias_get
from ml.training.loading import default_encoder_path
from shop.models import Product, Review

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Sentences of one shape, so that only the opinion word tells the classes apart.
GOOD = ["great", "lovely", "perfect", "beautiful", "excellent", "comfortable"]
BAD = ["awful", "terrible", "cheap", "bad", "horrible", "poor"]
NOUNS = ["dress", "fabric", "fit", "colour", "jacket", "quality"]


@pytest.fixture
def tiny_encoder(tmp_path, settings):
    tokenizer = AutoTokenizer.from_pretrained(default_encoder_path())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
    )  # fmt: skip
    directory = tmp_path / "tiny-encoder"
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    settings.ML_ENCODER = str(directory)
    settings.ML_DEVICE = "cpu"
    settings.STORAGES = {
        **settings.STORAGES,
        "ml_artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts")},
        },
    }
    return directory


def make_reviews(count: int, *, only_positive: bool = False) -> None:
    rng = random.Random(3)
    product = Product.objects.create(sku="SKU-1", title="Dress", price="20.00")
    reviews = []
    for i in range(count):
        positive = only_positive or i % 2 == 0
        text = f"the {rng.choice(NOUNS)} is {rng.choice(GOOD if positive else BAD)}"
        rating = 5 if positive else 1
        reviews.append(
            Review(product=product, rating=rating, text=text, created_at="2026-01-01T00:00Z")
        )
    Review.objects.bulk_create(reviews)


def finished(job_id):
    job = Job.objects.get(pk=job_id)
    return job if job.is_finished else None


def test_finetune_job_registers_a_version_that_beats_baseline_and_promotes_it(
    tiny_encoder, celery_worker_thread, wait_for
):
    make_reviews(240)
    job = services.job_submit(
        kind="finetune_classifier",
        params={"max_rows": 240, "epochs": 8, "batch_size": 16, "lr": 5e-3, "promote": True},
    )
    done = wait_for(lambda: finished(job.pk), timeout=180)

    assert done.status == Job.Status.SUCCEEDED, done.error
    version = ModelVersion.objects.get()
    assert done.model_version == version
    assert (version.task, version.version, version.training_job_id) == ("sentiment", 1, job.pk)
    assert version.data_summary["label_counts"] == {"negative": 120, "positive": 120}
    assert version.metrics["test"]["macro_f1"] > version.metrics["baseline"]["test"]["macro_f1"]
    assert done.metrics["test_macro_f1"] == version.metrics["test"]["macro_f1"]
    assert alias_get(task="sentiment").version == version
    assert "Registering the model version" in done.log


def test_finetune_on_unusable_data_fails_readably_and_registers_nothing(
    tiny_encoder, celery_worker_thread, wait_for
):
    make_reviews(40, only_positive=True)
    job = services.job_submit(kind="finetune_classifier", params={"max_rows": 40})
    done = wait_for(lambda: finished(job.pk), timeout=60)

    assert done.status == Job.Status.FAILED
    assert done.error.startswith("BadJobInput: store reviews")
    assert "single label ['positive']" in done.error
    assert done.attempts == 1
    assert not ModelVersion.objects.exists()


def test_cancelled_finetune_leaves_no_version(tiny_encoder, celery_worker_thread, wait_for):
    make_reviews(200)
    job = services.job_submit(
        kind="finetune_classifier", params={"max_rows": 200, "epochs": 50, "batch_size": 4}
    )
    wait_for(lambda: Job.objects.filter(pk=job.pk, progress__gte=2).exists(), timeout=60)

    services.job_cancel(job_id=job.pk)
    done = wait_for(lambda: finished(job.pk), timeout=60)

    assert done.status == Job.Status.CANCELLED, done.log
    assert not ModelVersion.objects.exists()


def write_opinions_csv(path, count: int, *, seed: int, extra_label: str = "") -> str:
    rng = random.Random(seed)
    lines = ["message,mood"]
    for i in range(count):
        positive = i % 2 == 0
        lines.append(f"the {rng.choice(NOUNS)} is {rng.choice(GOOD if positive else BAD)},"
                     + ("good" if positive else "bad"))  # fmt: skip
    if extra_label:
        lines.append(f"the dress is fine,{extra_label}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def submit_with_test_file(tmp_path, train_rows: int, test_rows: int, **params):
    extra_label = params.pop("extra_label", "")
    return services.job_submit(
        kind="finetune_classifier",
        params={
            "dataset": "csv_file",
            "path": write_opinions_csv(tmp_path / "train.csv", train_rows, seed=1),
            "test_path": write_opinions_csv(
                tmp_path / "test.csv", test_rows, seed=2, extra_label=extra_label
            ),
            "text_column": "message",
            "label_column": "mood",
            **params,
        },
    )


def test_finetune_with_a_test_file_tests_on_it_and_trains_on_every_other_row(
    tiny_encoder, tmp_path, celery_worker_thread, wait_for
):
    job = submit_with_test_file(tmp_path, 100, 30, task="mood", epochs=4, batch_size=16, lr=5e-3)
    done = wait_for(lambda: finished(job.pk), timeout=180)

    assert done.status == Job.Status.SUCCEEDED, done.error
    version = ModelVersion.objects.get()
    assert version.data_summary["splits"]["rows"] == {"train": 90, "validation": 10, "test": 30}
    assert version.data_summary["test_source"] == "file test.csv"
    assert version.hyperparameters["test_fraction"] == 0.0
    assert version.metrics["test"]["rows"] == 30
    assert "testing on 30 rows from file test.csv" in done.log


def test_a_test_file_with_a_label_training_lacks_fails_readably(
    tiny_encoder, tmp_path, celery_worker_thread, wait_for
):
    job = submit_with_test_file(tmp_path, 60, 10, extra_label="meh")
    done = wait_for(lambda: finished(job.pk), timeout=60)

    assert done.status == Job.Status.FAILED
    assert "labels the training rows lack: meh" in done.error
    assert not ModelVersion.objects.exists()


def test_finetune_params_are_validated_before_queueing():
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.job_submit(kind="finetune_classifier", params={"epochs": 0, "dataset": "csv_file"})
    assert set(error.value.detail) == {"epochs"}
    with pytest.raises(ValidationError) as error:
        services.job_submit(kind="finetune_classifier", params={"dataset": "csv_file"})
    assert set(error.value.detail) == {"path"}
    with pytest.raises(ValidationError) as error:
        services.job_submit(
            kind="finetune_classifier",
            params={"dataset": "csv_file", "path": "r.csv", "label_smoothing": 0.6},
        )
    assert set(error.value.detail) == {"label_smoothing"}
    assert not Job.objects.exists()


def test_label_smoothing_reaches_the_trainers_config():
    from ml.tasks import FinetuneClassifierParams, classifier_config

    params = FinetuneClassifierParams(data={"dataset": "csv_file", "path": "r.csv"})
    params.is_valid(raise_exception=True)
    assert classifier_config(dict(params.validated_data)).label_smoothing == 0.0
    params = FinetuneClassifierParams(
        data={"dataset": "csv_file", "path": "r.csv", "label_smoothing": 0.1}
    )
    params.is_valid(raise_exception=True)
    assert classifier_config(dict(params.validated_data)).label_smoothing == 0.1


def test_lora_job_registers_an_adapter_that_lowers_held_out_loss(
    tmp_path, settings, celery_worker_thread, wait_for
):
    import json

    from tests.ml.training.conftest import build_tiny_causal_lm

    settings.ML_GENERATOR = str(build_tiny_causal_lm(tmp_path / "tiny-llama"))
    settings.ML_DEVICE = "cpu"
    settings.STORAGES = {
        **settings.STORAGES,
        "ml_artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts")},
        },
    }
    pairs = tmp_path / "pairs.jsonl"
    with pairs.open("w") as handle:
        for i in range(48):
            word, label = [("great", "positive"), ("awful", "negative")][i % 2]
            prompt = f"review: {word} fabric. sentiment:"
            handle.write(json.dumps({"prompt": prompt, "completion": f" {label}"}) + "\n")

    job = services.job_submit(
        kind="finetune_generator_lora",
        params={
            "dataset": "jsonl_file", "path": str(pairs), "max_rows": 48, "epochs": 3,
            "batch_size": 4, "lr": 1e-2, "rank": 4, "max_length": 64,
        },
    )  # fmt: skip
    done = wait_for(lambda: finished(job.pk), timeout=180)

    assert done.status == Job.Status.SUCCEEDED, done.error
    version = ModelVersion.objects.get()
    assert (version.task, done.model_version) == ("generator-lora", version)
    assert done.metrics["eval_loss_after"] < done.metrics["eval_loss_before"]
