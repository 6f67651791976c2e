"""Fixtures of the marketing tests: tiny config-built generator and encoder (the real loading and
generation code, seeded random weights), wired in through the settings."""

import contextlib

import pytest

from tests.ml.training.conftest import build_tiny_bert, build_tiny_causal_lm


@pytest.fixture(scope="session")
def tiny_generator_dir(tmp_path_factory):
    return build_tiny_causal_lm(tmp_path_factory.mktemp("marketing-tiny-llama"))


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("marketing-tiny-bert"))


@pytest.fixture
def tiny_models(settings, tmp_path, tiny_generator_dir, tiny_encoder_dir):
    """The tiny generator and encoder as the configured models, a fresh artifact store, and
    no model left loaded from another test."""
    with models_configured(settings, tmp_path, tiny_generator_dir, tiny_encoder_dir):
        yield


@contextlib.contextmanager
def models_configured(settings, tmp_path, generator_dir, encoder_dir):
    """Within the block: these models as the configured generator and encoder (on the CPU), a
    fresh artifact store under tmp_path, and no model loaded before or left loaded after."""
    from marketing import services
    from ml.serving import _base_encoder, model_cache

    settings.ML_GENERATOR = str(generator_dir)
    settings.ML_ENCODER = str(encoder_dir)
    settings.ML_DEVICE = "cpu"
    settings.STORAGES = {
        **settings.STORAGES,
        "ml_artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "artifacts")},
        },
    }
    model_cache.clear()
    services._base_generator.cache_clear()
    _base_encoder.cache_clear()
    try:
        yield
    finally:
        model_cache.clear()
        services._base_generator.cache_clear()
        _base_encoder.cache_clear()
