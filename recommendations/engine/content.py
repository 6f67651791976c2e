"""Content similarity: cosine between item embedding vectors supplied by the caller.

The embeddings (data.item_embeddings, one row per item) come from outside the engine, e.g.
the encoder's embeddings of the product text, or attribute vectors. Because nothing here
depends on interactions, a product nobody has bought yet is recommended as soon as it has an
embedding (cold start), and it gets neighbours of its own.

With unit-normalised rows e_i, a history h_1..h_m (latest last) is summarised as

    profile = sum_a recency_decay^a * e_{h_{m-a}}   over the last history_length items

and s_j = cos(profile, e_j) = e_j . profile / |profile|. The anchor of a recommended j is the
history item whose weighted similarity to j is largest. Items without an embedding (a zero
row) score 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recommendations.engine.base import Recommender, as_histories, register
from recommendations.engine.data import EvalSet, InteractionData


@dataclass(frozen=True)
class ContentConfig:
    history_length: int = 5
    recency_decay: float = 0.7
    reason: str = "similar"

    def __post_init__(self) -> None:
        if self.history_length < 1:
            raise ValueError("history_length must be at least 1.")


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


@register("content")
class ContentRecommender(Recommender):
    """Nearest items by embedding; serves items with no interactions."""

    Config = ContentConfig

    def __init__(self, config=None, **overrides) -> None:
        super().__init__(config, **overrides)
        self.reason = self.config.reason

    def _fit(self, data: InteractionData, validation: EvalSet | None) -> None:
        if data.item_embeddings is None:
            raise ValueError("The content recommender needs data.item_embeddings.")
        self.embeddings = unit_rows(data.item_embeddings)

    def _weights(self, history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        recent = history[-self.config.history_length :][::-1]
        return recent, self.config.recency_decay ** np.arange(len(recent), dtype=np.float32)

    def score_batch(self, histories: Sequence[Sequence[int]]) -> np.ndarray:
        self._check_fitted()
        profiles = np.zeros((len(histories), self.embeddings.shape[1]), dtype=np.float32)
        for u, history in enumerate(as_histories(histories)):
            recent, weights = self._weights(history)
            if len(recent):
                profiles[u] = weights @ self.embeddings[recent]
        return (unit_rows(profiles) @ self.embeddings.T).astype(np.float32, copy=False)

    def anchors(self, history: Sequence[int], items: Sequence[int]) -> list[int | None]:
        recent, weights = self._weights(np.asarray(history, dtype=np.int64))
        if not len(recent) or not len(items):
            return [None] * len(items)
        similarity = self.embeddings[recent] @ self.embeddings[np.asarray(items)].T
        best = (similarity * weights[:, None]).argmax(axis=0)
        return [int(recent[b]) for b in best.tolist()]

    def _state(self) -> dict[str, np.ndarray]:
        return {"embeddings": self.embeddings}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.embeddings = arrays["embeddings"]
