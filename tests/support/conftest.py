"""Fixtures of the support tests: an artifact store, a tiny config-built encoder as the
configured base model, an intent model trained once per module on the seed set, a clean model
cache and fast password hashing."""

from pathlib import Path

import pytest

from ml import services as ml_services
from ml.models import ModelVersion
from ml.serving import model_cache
from support.seed import read_seed_examples
from tests.ml.training.conftest import build_tiny_bert


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def clean_model_cache():
    """The cache is per process and outlives a test's database; start and end empty."""
    model_cache.clear()
    yield
    model_cache.clear()


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-encoder"))


@pytest.fixture
def tiny_encoder(settings, tmp_path, tiny_encoder_dir) -> Path:
    """The tiny encoder is the base model; artifacts go to a fresh folder; CPU only."""
    settings.ML_ENCODER = str(tiny_encoder_dir)
    settings.ML_DEVICE = "cpu"
    settings.STORAGES = {
        **settings.STORAGES,
        "ml_artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts")},
        },
    }
    return tiny_encoder_dir


# Enough for the tiny encoder to beat chance on the seed set's 12 intents (about 10 s).
TINY_RECIPE = {"epochs": 6, "batch_size": 16, "lr": 3e-3, "max_length": 32, "seed": 13}


@pytest.fixture(scope="module")
def trained_intent_dir(tmp_path_factory, tiny_encoder_dir) -> Path:
    """The tiny encoder fine-tuned on the seed set by the job's recipe, with its threshold."""
    from ml.training.classification import ClassifierTrainConfig, train_classifier
    from support.intent_engine import fit_reject_threshold

    rows = read_seed_examples()
    texts, labels = [text for text, _ in rows], [key for _, key in rows]
    config = ClassifierTrainConfig(device="cpu", early_stopping_patience=0, **TINY_RECIPE)
    output = tmp_path_factory.mktemp("intent") / "model"
    result = train_classifier(texts, labels, config, tiny_encoder_dir, output)
    fit_reject_threshold(output_dir=output, texts=texts, labels=labels, config=config)
    assert result.metrics["test"]["accuracy"] > result.metrics["baseline"]["test"]["accuracy"]
    return output


def register_intent_version(directory: Path, *, promote: bool = True) -> ModelVersion:
    import json

    version = ml_services.modelversion_register(
        task="intent",
        source_dir=directory,
        base_model="tiny-bert",
        metrics=json.loads((directory / "metrics.json").read_text()),
        data_summary={"rows": 324},
        hyperparameters={"max_length": 32},
    )
    if promote:
        ml_services.alias_promote(version_id=version.pk)
    return version


@pytest.fixture(autouse=True)
def clean_knowledge_cache():
    """The passage matrix is per process and outlives a test's database."""
    from support.selectors import knowledge_cache

    knowledge_cache.clear()
    yield
    knowledge_cache.clear()


@pytest.fixture
def plain_answers(settings):
    """Extractive answers (no generator), the default retrieval settings."""
    settings.SUPPORT_GENERATE_ANSWERS = False
    settings.SUPPORT_RETRIEVAL_THRESHOLD = 0.3
    settings.SUPPORT_RETRIEVAL_TOP_K = 2
    settings.SUPPORT_RETURN_WINDOW_DAYS = 30
    settings.SUPPORT_REPEAT_SIMILARITY = 0.9
