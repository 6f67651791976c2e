"""The knowledge base as retrievable passages (pure: numpy, no Django).

- `split_passages`: an article body into passages: paragraphs (blank-line separated), a long
  paragraph cut between sentences into pieces of at most `max_chars` (a sentence is never
  cut); each passage starts with the article title, so a passage read alone keeps its topic.
- `product_passage`: the catalogue facts of one product as one passage.
- `PassageIndex`: an exact cosine top-k over L2-normalised embeddings (a float32 matrix),
  returning only passages at or above a relevance threshold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
DEFAULT_MAX_CHARS = 420


def split_passages(title: str, body: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> list[str]:
    """The passages of an article, in order (see the module docstring)."""
    passages: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body.strip()):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        piece: list[str] = []
        for sentence in SENTENCE_END.split(paragraph):
            if piece and len(" ".join([*piece, sentence])) > max_chars:
                passages.append(" ".join(piece))
                piece = []
            piece.append(sentence)
        if piece:
            passages.append(" ".join(piece))
    return [f"{title.strip()}: {passage}" for passage in passages]


def product_passage(product: Mapping[str, Any]) -> str:
    """One sentence-like line of a product's facts: title, category, price, stock, attributes.

    `product` holds title, category (name or None), price, currency, stock and attributes.
    """
    price = product["price"]
    if isinstance(price, Decimal):
        price = f"{price:.2f}"
    parts = [f"Product: {product['title']}."]
    if product.get("category"):
        parts.append(f"Category: {product['category']}.")
    parts.append(f"Price: {price} {product['currency']}.")
    stock = int(product.get("stock") or 0)
    parts.append(f"In stock: {stock} available." if stock > 0 else "Out of stock.")
    attributes = product.get("attributes") or {}
    if isinstance(attributes, Mapping):
        for name, value in sorted(attributes.items()):
            if isinstance(value, list | tuple):
                value = ", ".join(str(v) for v in value)
            parts.append(f"{str(name).replace('_', ' ').capitalize()}: {value}.")
    if product.get("description"):
        parts.append(" ".join(str(product["description"]).split())[:300])
    return " ".join(parts)


def embedding_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def embedding_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)


@dataclass(frozen=True)
class Hit:
    passage_id: int
    score: float


class PassageIndex:
    """Exact cosine search: rows of `matrix` are L2-normalised embeddings of `passage_ids`."""

    def __init__(self, passage_ids: Sequence[int], matrix: np.ndarray) -> None:
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(passage_ids):
            raise ValueError("Need one embedding row per passage id.")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.matrix = matrix / np.clip(norms, 1e-12, None)
        self.passage_ids = np.asarray(passage_ids, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.passage_ids)

    def search(self, query: np.ndarray, *, k: int, threshold: float) -> list[Hit]:
        """The at most `k` passages most similar to `query` whose cosine similarity is at least
        `threshold`, best first (ties by passage id)."""
        if len(self) == 0 or k < 1:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.matrix.shape[1]:
            raise ValueError(
                f"Query has {query.shape[0]} dimensions, the index {self.matrix.shape[1]}."
            )
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        scores = self.matrix @ query
        order = np.lexsort((self.passage_ids, -scores))[:k]
        return [
            Hit(passage_id=int(self.passage_ids[i]), score=float(scores[i]))
            for i in order
            if scores[i] >= threshold
        ]
