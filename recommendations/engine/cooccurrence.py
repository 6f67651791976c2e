"""Item-to-item co-occurrence: "frequently bought together" (orders), "also viewed" (sessions).

Counting. For every pair of events (i at position p, j at position q > p) of the same
sequence with distance d = q - p <= window (window 0: the whole sequence, as for an order's
basket), add to the pair matrix

    C[i, j] += sqrt(w_p w_q) / d^distance_decay            (forward: j came after i)
    C[j, i] += backward_weight * sqrt(w_p w_q) / d^distance_decay

so nearby events count more, and backward_weight < 1 makes the relation lean towards "what
comes next". Normalisation turns counts into similarities (n_i = events of item i):

    cosine       S[i, j] = C[i, j] / (n_i^alpha * n_j^(1 - alpha) + shrink)
    conditional  S[i, j] = C[i, j] / (n_i + shrink)          (~ P(j | i), shrunk towards 0)
    none         S[i, j] = C[i, j]

alpha = 0.5 is the usual cosine; a larger alpha penalises popular targets j less. The shrink
term keeps a pair seen once between two rare items from outranking well-supported pairs.

Scoring a history h_1..h_m (most recent last): the last `history_length` items vote,

    s_j = sum_a recency_decay^a * S[h_{m-a}, j] + epsilon * popularity_j

where a = 0 is the latest item; the tiny popularity term only orders items no history item
co-occurs with. The anchor of a recommended j is the history item with the largest vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import Recommender, as_histories, register
from recommendations.engine.data import EvalSet, InteractionData
from recommendations.engine.popularity import BACKFILL, normalised

NORMALISATIONS = ("cosine", "conditional", "none")


@dataclass(frozen=True)
class CooccurrenceConfig:
    window: int = 3
    distance_decay: float = 1.0
    backward_weight: float = 1.0
    normalisation: str = "cosine"
    alpha: float = 0.5
    shrink: float = 10.0
    history_length: int = 5
    recency_decay: float = 0.5
    reason: str = "bought_with"

    def __post_init__(self) -> None:
        if self.window < 0:
            raise ValueError("window must be >= 0 (0 means the whole sequence).")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {NORMALISATIONS}.")
        if self.history_length < 1:
            raise ValueError("history_length must be at least 1.")
        if self.shrink < 0 or self.backward_weight < 0 or not 0 <= self.alpha <= 1:
            raise ValueError("shrink and backward_weight must be >= 0 and alpha in [0, 1].")


def pair_counts(data: InteractionData, config: CooccurrenceConfig) -> sp.csr_matrix:
    """The weighted co-occurrence matrix C (num_items x num_items) described above."""
    users, items, _, weights = data.flat()
    longest = max((len(s) for s in data.sequences), default=0)
    max_distance = longest - 1 if config.window == 0 else min(config.window, longest - 1)
    rows, cols, values = [], [], []
    for d in range(1, max_distance + 1):
        same = users[:-d] == users[d:]
        first, second = items[:-d][same], items[d:][same]
        strength = np.sqrt(weights[:-d][same] * weights[d:][same]) / d**config.distance_decay
        rows += [first, second]
        cols += [second, first]
        values += [strength, config.backward_weight * strength]
    n = data.num_items
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.float64)
    matrix = sp.coo_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    ).tocsr()
    matrix.setdiag(0.0)  # an item is not its own neighbour (repeat purchases aside)
    matrix.eliminate_zeros()
    return matrix


def history_matrix(
    histories: Sequence[np.ndarray], num_items: int, length: int, decay: float
) -> sp.csr_matrix:
    """Sparse (users x items) votes: recency_decay^a for the a-th latest of the last `length`."""
    rows, cols, values = [], [], []
    for u, history in enumerate(histories):
        recent = history[-length:][::-1]
        rows.append(np.full(len(recent), u))
        cols.append(recent)
        values.append(decay ** np.arange(len(recent), dtype=np.float64))
    if not rows:
        return sp.csr_matrix((0, num_items))
    return sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(histories), num_items),
    )


@dataclass(frozen=True)
class VoteShares:
    """Rows of score_batch / their sums, in parts: row r is (votes[r] + backfill) * row_scale[r].
    A mixture adds them to a dense matrix without making a dense one of its own."""

    votes: sp.csr_matrix
    backfill: np.ndarray
    row_scale: np.ndarray


@register("cooccurrence")
class CooccurrenceRecommender(Recommender):
    """Neighbours by shared sequences (sessions or orders), voted by the latest history items."""

    Config = CooccurrenceConfig

    def __init__(self, config=None, **overrides) -> None:
        super().__init__(config, **overrides)
        self.reason = self.config.reason
        self._by_backfill: np.ndarray | None = None

    def _fit(self, data: InteractionData, validation: EvalSet | None) -> None:
        counts = pair_counts(data, self.config)
        occurrences = data.item_counts()
        c = self.config
        if c.normalisation == "none":
            similarity = counts
        else:
            coo = counts.tocoo()
            if c.normalisation == "cosine":
                denominator = occurrences[coo.row] ** c.alpha * occurrences[coo.col] ** (
                    1 - c.alpha
                )
            else:
                denominator = occurrences[coo.row]
            similarity = sp.csr_matrix(
                (coo.data / (denominator + c.shrink), (coo.row, coo.col)), shape=counts.shape
            )
        self.similarity = similarity.astype(np.float32).tocsr()
        self.similarity.sort_indices()  # anchors() searches each row's columns
        self.backfill = (BACKFILL * normalised(occurrences)).astype(np.float32)
        self._by_backfill = None

    def score_batch(self, histories: Sequence[Sequence[int]]) -> np.ndarray:
        self._check_fitted()
        scores = self._neighbour_votes(as_histories(histories)).toarray()
        scores += self.backfill[None, :]
        return scores

    def vote_shares(self, histories: Sequence[Sequence[int]]) -> VoteShares:
        """score_batch's rows as distributions (each row / its sum), kept in their parts."""
        self._check_fitted()
        votes = self._neighbour_votes(as_histories(histories))
        np.maximum(votes.data, 0.0, out=votes.data)  # no negative vote (as none is made)
        totals = np.asarray(votes.sum(axis=1), dtype=np.float64).ravel() + float(
            self.backfill.sum(dtype=np.float64)
        )
        return VoteShares(votes, self.backfill, 1.0 / np.maximum(totals, 1e-12))

    def _neighbour_votes(self, histories: list[np.ndarray]) -> sp.csr_matrix:
        """The voting part of score_batch (no backfill), sparse: (histories x items) float32."""
        votes = history_matrix(
            histories, self.num_items, self.config.history_length, self.config.recency_decay
        ).astype(np.float32)
        return (votes @ self.similarity).tocsr()

    def _ranked(
        self, arrays: list[np.ndarray], k: int, excluded: np.ndarray, exclude_history: bool
    ) -> list[tuple[list[int], list[float]]]:
        """The base class's ranking (every row of score_batch) without a dense
        (histories x catalogue) matrix: an item's score is its sparse vote plus its backfill,
        the same float32 sum as score_batch's, so the k best are among the items with a vote
        and the best-backfilled items without one. Ties go to the lower item index, as
        `top_k`'s do."""
        votes = self._neighbour_votes(arrays)
        by_backfill = self._backfill_order()
        ranked = []
        for row, history in enumerate(arrays):
            banned = np.concatenate([excluded, history]) if exclude_history else excluded
            start, end = votes.indptr[row], votes.indptr[row + 1]
            voted = votes.indices[start:end].astype(np.int64)
            values = votes.data[start:end] + self.backfill[voted]
            allowed = ~np.isin(voted, banned)
            voted, values = voted[allowed], values[allowed]
            rest = by_backfill[: k + len(voted) + len(banned)]
            rest = rest[~np.isin(rest, voted) & ~np.isin(rest, banned)][:k]
            items = np.concatenate([voted, rest])
            scores = np.concatenate([values, self.backfill[rest]])
            best = np.lexsort((items, -scores))[:k]
            ranked.append((items[best].tolist(), scores[best].tolist()))
        return ranked

    def _backfill_order(self) -> np.ndarray:
        """Every item by backfill, best first, ties by lower index (computed once)."""
        if self._by_backfill is None:
            self._by_backfill = np.argsort(-self.backfill, kind="stable")
        return self._by_backfill

    def anchors(self, history: Sequence[int], items: Sequence[int]) -> list[int | None]:
        history = np.asarray(history, dtype=np.int64)[-self.config.history_length :][::-1]
        if not len(history) or not len(items):
            return [None] * len(items)
        items = np.asarray(items, dtype=np.int64)
        weights = self.config.recency_decay ** np.arange(len(history))
        # votes[a, j] = weight_a * S[history_a, items_j], read straight from the CSR arrays
        # (sorted column indices per row): slicing the sparse matrix costs far more per list.
        s = self.similarity
        votes = np.zeros((len(history), len(items)))
        for a, item in enumerate(history.tolist()):
            start, end = s.indptr[item], s.indptr[item + 1]
            neighbours = s.indices[start:end]
            if not len(neighbours):
                continue
            at = np.minimum(np.searchsorted(neighbours, items), len(neighbours) - 1)
            hit = neighbours[at] == items
            votes[a, hit] = s.data[start:end][at[hit]] * weights[a]
        best = votes.argmax(axis=0)
        return [int(history[b]) if votes[b, j] > 0 else None for j, b in enumerate(best.tolist())]

    def _state(self) -> dict[str, np.ndarray]:
        s = self.similarity
        return {
            "data": s.data,
            "indices": s.indices.astype(np.int64),
            "indptr": s.indptr.astype(np.int64),
            "backfill": self.backfill,
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        n = self.num_items
        self.similarity = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n)
        )
        self.similarity.sort_indices()
        self.backfill = arrays["backfill"]
        self._by_backfill = None
