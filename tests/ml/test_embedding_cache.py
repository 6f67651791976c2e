"""Stored embeddings: the same vectors as the encoder, each text embedded once per encoder."""

import functools

import numpy as np
import pytest

from ml.models import TextEmbedding
from ml.services.embeddings import embed_cached, encoder_identity
from ml.training.inference import EncoderEngine, EncoderEngineConfig

pytestmark = pytest.mark.django_db


@functools.cache
def packaged_encoder(quantize: str) -> EncoderEngine:
    return EncoderEngine(None, EncoderEngineConfig(quantize=quantize, device="cpu"))


class Counting:
    """A real encoder, counting the texts it is asked to embed."""

    def __init__(self, engine):
        self.engine = engine
        self.embedded: list[str] = []

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def embed(self, texts):
        self.embedded += list(texts)
        return self.engine.embed(texts)


def test_stored_vectors_are_the_encoders_and_only_new_texts_are_embedded():
    # In float (int8's activation scales depend on the batch, so its vectors do too).
    exact = packaged_encoder("none")
    engine = Counting(exact)
    texts = [
        "Linen shirt. Tops. Breathable.",
        "Wool socks. Socks.",
        "Linen shirt. Tops. Breathable.",
    ]
    first = embed_cached(texts, engine=engine)
    np.testing.assert_allclose(first, exact.embed(texts), atol=1e-5)
    assert engine.embedded == texts[:2]  # the repeated text once
    assert TextEmbedding.objects.count() == 2

    changed = ["Wool socks. Socks.", "Rain jacket. Coats.", "Linen shirt. Tops. Breathable."]
    second = embed_cached(changed, engine=engine)
    assert engine.embedded == texts[:2] + ["Rain jacket. Coats."]
    np.testing.assert_allclose(second, exact.embed(changed), atol=1e-5)
    np.testing.assert_array_equal(second[0], first[1])
    assert embed_cached([], engine=engine).shape == (0, first.shape[1])


def test_another_encoder_setting_never_reads_these_vectors():
    exact, quantised = Counting(packaged_encoder("none")), Counting(packaged_encoder("int8"))
    assert encoder_identity(exact) != encoder_identity(quantised)
    embed_cached(["Wool socks. Socks."], engine=exact)
    embed_cached(["Wool socks. Socks."], engine=quantised)
    assert quantised.embedded == ["Wool socks. Socks."]
    assert TextEmbedding.objects.count() == 2
