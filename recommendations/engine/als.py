"""Matrix factorisation for implicit feedback: alternating least squares (Hu, Koren, Volinsky).

Each user u and item i get f-dimensional factors x_u, y_i. With r_ui the summed event weight
of u on i (0 when none), preference p_ui = [r_ui > 0] and confidence c_ui = 1 + alpha * r_ui,
ALS minimises

    sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + regularization * (sum_u |x_u|^2 + sum_i |y_i|^2)

by alternately solving for all x with y fixed and for all y with x fixed. The user step is,
per user, the linear system

    (Y^T Y + regularization I + Y^T (C_u - I) Y) x_u = Y^T C_u p_u

whose matrix is Y^T Y (shared by all users) plus a term over the user's own items only. It is
solved approximately with a few conjugate-gradient steps warm-started from the previous
iterate (as the `implicit` library does), vectorised over all users at once: the product
A_u v_u for every u is V (Y^T Y + reg I) + W Y, where W is the sparse matrix of
alpha r_ui (v_u . y_i) over the observed pairs. The item step is the same with the roles
swapped. This is pure numpy/scipy (no compiled dependency) and deterministic for a seed.

Scoring a history folds the user in: x = exact solution of the user system for the
history's items (a batched f x f solve), then s_i = x . y_i.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import Recommender, as_histories, register
from recommendations.engine.data import EvalSet, InteractionData

FOLD_IN_CHUNK = 512


@dataclass(frozen=True)
class ALSConfig:
    factors: int = 64
    regularization: float = 0.05
    alpha: float = 1.0
    iterations: int = 15
    cg_steps: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.factors < 1 or self.iterations < 1 or self.cg_steps < 1:
            raise ValueError("factors, iterations and cg_steps must be at least 1.")
        if self.regularization < 0 or self.alpha <= 0:
            raise ValueError("regularization must be >= 0 and alpha > 0.")


def _conjugate_gradient(
    ratings: sp.csr_matrix,
    fixed: np.ndarray,
    current: np.ndarray,
    config: ALSConfig,
) -> np.ndarray:
    """Refine `current` (rows x f) towards the ALS solution against `fixed` (cols x f)."""
    coo = ratings.tocoo()
    rows, cols, confidence = coo.row, coo.col, config.alpha * coo.data
    gram = fixed.T @ fixed + config.regularization * np.eye(fixed.shape[1])

    def product(v: np.ndarray) -> np.ndarray:
        dots = np.einsum("nf,nf->n", v[rows], fixed[cols])
        w = sp.csr_matrix((confidence * dots, (rows, cols)), shape=ratings.shape)
        return v @ gram + w @ fixed

    # b_u = Y^T C_u p_u = sum over observed i of (1 + alpha r_ui) y_i.
    b = sp.csr_matrix((1.0 + confidence, (rows, cols)), shape=ratings.shape) @ fixed
    x = current.copy()
    r = b - product(x)
    p = r.copy()
    rs = np.einsum("nf,nf->n", r, r)
    for _ in range(config.cg_steps):
        ap = product(p)
        step = rs / np.maximum(np.einsum("nf,nf->n", p, ap), 1e-20)
        x += step[:, None] * p
        r -= step[:, None] * ap
        rs_new = np.einsum("nf,nf->n", r, r)
        p = r + (rs_new / np.maximum(rs, 1e-20))[:, None] * p
        rs = rs_new
    return x


@register("als")
class ALSRecommender(Recommender):
    """Implicit-feedback matrix factorisation; serves histories by folding the user in."""

    Config = ALSConfig
    reason = "for_you"

    def _fit(self, data: InteractionData, validation: EvalSet | None) -> None:
        users, items, _, weights = data.flat()
        ratings = sp.csr_matrix(
            (weights, (users, items)), shape=(data.num_users, data.num_items)
        )  # duplicates are summed
        rng = np.random.default_rng(self.config.seed)
        f = self.config.factors
        user_factors = rng.normal(0, 0.01, (data.num_users, f))
        item_factors = rng.normal(0, 0.01, (data.num_items, f))
        by_item = ratings.T.tocsr()
        for _ in range(self.config.iterations):
            user_factors = _conjugate_gradient(ratings, item_factors, user_factors, self.config)
            item_factors = _conjugate_gradient(by_item, user_factors, item_factors, self.config)
        self.item_factors = item_factors.astype(np.float32)

    def fold_in(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        """Exact user factors for each history: a batched solve of the user system."""
        y = self.item_factors.astype(np.float64)
        f = y.shape[1]
        gram = y.T @ y + self.config.regularization * np.eye(f)
        result = np.zeros((len(histories), f))
        for start in range(0, len(histories), FOLD_IN_CHUNK):
            chunk = histories[start : start + FOLD_IN_CHUNK]
            uniques = [np.unique(h, return_counts=True) for h in chunk]
            width = max((len(u[0]) for u in uniques), default=0)
            if width == 0:
                continue
            index = np.zeros((len(chunk), width), dtype=np.int64)
            counts = np.zeros((len(chunk), width))
            for row, (items, n) in enumerate(uniques):
                index[row, : len(items)] = items
                counts[row, : len(items)] = n
            confidence = self.config.alpha * counts  # c - 1, zero on padding
            factors = y[index]  # (users, width, f)
            a = gram + np.einsum("nlf,nl,nlg->nfg", factors, confidence, factors)
            b = np.einsum("nl,nlf->nf", (counts > 0) * (1.0 + confidence), factors)
            result[start : start + len(chunk)] = np.linalg.solve(a, b[:, :, None])[:, :, 0]
        return result

    def score_batch(self, histories: Sequence[Sequence[int]]) -> np.ndarray:
        self._check_fitted()
        users = self.fold_in(as_histories(histories))
        return (users @ self.item_factors.T.astype(np.float64)).astype(np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_factors = arrays["item_factors"]
