"""Which search queries find no matching product: demand the catalogue does not meet.

A query is unmet when BOTH hold:

1. meaning: its encoder embedding's cosine similarity to every product text (title and
   category name) is below `threshold`; and
2. words: no product's title or category name contains every word of the query (words are
   runs of letters and digits of two characters or more, stop words left out, plurals
   folded to the singular, compared case-insensitively).

Either kind of match means a shopper would find something, so only queries that fail both
are counted as unmet. A query with no words left after stop words (e.g. "the") is never
unmet by the word rule alone; the meaning rule still decides it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STOP_WORDS = frozenset(
    "a an and the for of in on with to by at from or my me i you your our is are be "
    "buy cheap best new sale shop online".split()
)
_WORD = re.compile(r"[0-9a-z]+")


def _stem(word: str) -> str:
    """A plural folded to its singular, crudely but the same way on both sides."""
    if len(word) > 4 and word.endswith("sses"):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def content_words(text: str) -> set[str]:
    """The words of `text` the word rule compares (module docstring)."""
    return {
        _stem(word)
        for word in _WORD.findall(text.lower())
        if len(word) >= 2 and word not in STOP_WORDS
    }


@dataclass(frozen=True)
class UnmetVerdict:
    query: str
    best_similarity: float
    word_match: bool
    unmet: bool


class ProductWordIndex:
    """Which products' texts contain a word (an inverted index over content words)."""

    def __init__(self, product_texts: Sequence[str]):
        self._products: dict[str, set[int]] = {}
        for index, text in enumerate(product_texts):
            for word in content_words(text):
                self._products.setdefault(word, set()).add(index)

    def any_contains_all(self, words: set[str]) -> bool:
        if not words:
            return False
        found: set[int] | None = None
        for word in sorted(words, key=lambda w: len(self._products.get(w, ()))):
            products = self._products.get(word)
            if not products:
                return False
            found = set(products) if found is None else found & products
            if not found:
                return False
        return bool(found)


def unmet_verdicts(
    queries: Sequence[str],
    query_embeddings: np.ndarray,
    product_texts: Sequence[str],
    product_embeddings: np.ndarray,
    *,
    threshold: float,
) -> list[UnmetVerdict]:
    """The unmet-demand rule (module docstring) applied to each query, in order.

    Embeddings are L2-normalised rows, so a dot product is the cosine similarity. Without
    products every query is unmet.
    """
    if len(queries) != len(query_embeddings) or len(product_texts) != len(product_embeddings):
        raise ValueError("One embedding per query and per product is needed.")
    index = ProductWordIndex(product_texts)
    if len(product_texts):
        best = (np.asarray(query_embeddings) @ np.asarray(product_embeddings).T).max(1)
    else:
        best = np.full(len(queries), -1.0)
    verdicts = []
    for query, similarity in zip(queries, best, strict=True):
        word_match = index.any_contains_all(content_words(query))
        verdicts.append(
            UnmetVerdict(
                query=query,
                best_similarity=round(float(similarity), 4),
                word_match=word_match,
                unmet=float(similarity) < threshold and not word_match,
            )
        )
    return verdicts
