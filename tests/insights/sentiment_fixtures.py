"""Fixtures of the sentiment tests: an artifact store, a tiny config-built sentiment
classifier registered as the champion, and a clean model cache.

Import the fixtures into a test module (`from tests.insights.sentiment_fixtures import ...`).
"""

from pathlib import Path

import pytest
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from ml import services as ml_services
from ml.models import ModelVersion
from ml.serving import model_cache
from ml.training.loading import default_encoder_path

LABELS = ("negative", "neutral", "positive")


@pytest.fixture
def artifact_store(settings, tmp_path) -> Path:
    settings.ML_DEVICE = "cpu"
    settings.STORAGES = {
        **settings.STORAGES,
        "ml_artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts")},
        },
    }
    return tmp_path / "artifacts"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Factories give each customer a user; hashing their passwords properly is slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def clean_model_cache():
    """The cache is per process and outlives a test's database; start and end empty."""
    model_cache.clear()
    yield
    model_cache.clear()


def build_tiny_classifier(directory: Path, *, seed: int, labels=LABELS) -> Path:
    """A 2-layer BERT with a random classification head and the packaged tokenizer."""
    import torch

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(default_encoder_path())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
        num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def register_sentiment_version(
    directory: Path, *, promote: bool = True, macro_f1: float = 0.5
) -> ModelVersion:
    version = ml_services.modelversion_register(
        task="sentiment",
        source_dir=directory,
        base_model="tiny-bert",
        metrics={"test": {"macro_f1": macro_f1}},
        data_summary={"rows": 10},
        hyperparameters={"max_length": 64},
    )
    if promote:
        ml_services.alias_promote(version_id=version.pk)
    return version


@pytest.fixture
def tiny_classifier_dir(tmp_path) -> Path:
    return build_tiny_classifier(tmp_path / "tiny-sentiment", seed=1)


@pytest.fixture
def sentiment_champion(artifact_store, tiny_classifier_dir) -> ModelVersion:
    """A tiny sentiment classifier, registered and promoted to champion."""
    return register_sentiment_version(tiny_classifier_dir)
