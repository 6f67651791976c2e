"""Embeddings of texts that rarely change (product texts), kept in the database.

The nightly jobs embed every product's text (recommendations' content model); on a catalogue
of 100,000 products that is minutes of encoder time each night for texts that mostly did not
change. `embed_cached` looks each text up by (encoder identity, hash of the text), embeds only
the texts it has not seen, and stores their vectors. The encoder identity covers the model
files (their SHA-256), the maximum length and int8 quantisation, so a new model, or a worker
whose CPU quantises, never reads another's vectors. Only hashes are stored, never the texts.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ml.models import TextEmbedding

LOOKUP_BATCH = 2000
WRITE_BATCH = 1000


@functools.lru_cache(maxsize=8)
def _model_files_digest(source: str) -> str:
    from ml.training.checksums import sha256_of_directory

    path = Path(source)
    return sha256_of_directory(path) if path.is_dir() else source


def encoder_identity(engine: Any) -> str:
    """A 64-character key of what decides an EncoderEngine's embeddings."""
    parts = [
        _model_files_digest(str(engine.source)),
        f"max_length={engine.config.max_length}",
        "int8" if engine.quantized else "float",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def embed_cached(texts: Sequence[str], *, engine: Any | None = None) -> np.ndarray:
    """engine.embed(texts) (default: the base encoder), with the vectors of texts embedded
    before read from the database and those of new texts written to it."""
    if engine is None:
        from ml.serving import encoder_engine

        engine = encoder_engine()
    key = encoder_identity(engine)
    hashes = [text_hash(text) for text in texts]
    unique = list(dict.fromkeys(hashes))
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(unique), LOOKUP_BATCH):
        rows = TextEmbedding.objects.filter(
            encoder=key, text_hash__in=unique[start : start + LOOKUP_BATCH]
        ).values_list("text_hash", "vector")
        for digest, vector in rows:
            found[digest] = np.frombuffer(bytes(vector), dtype="<f4")
    missing = {digest: i for i, digest in enumerate(hashes) if digest not in found}
    if missing:
        vectors = np.asarray(engine.embed([texts[i] for i in missing.values()]), dtype="<f4")
        TextEmbedding.objects.bulk_create(
            [
                TextEmbedding(encoder=key, text_hash=digest, vector=vector.tobytes())
                for digest, vector in zip(missing, vectors, strict=True)
            ],
            batch_size=WRITE_BATCH,
            ignore_conflicts=True,  # another process stored the same text meanwhile
        )
        found.update(zip(missing, vectors, strict=True))
    if not hashes:
        return np.zeros((0, int(engine.model.config.hidden_size)), dtype=np.float32)
    return np.stack([found[digest] for digest in hashes]).astype(np.float32)
