"""Non-personalised baselines: all-time popularity and time-decayed trending.

popularity:  s_i = sum of the event weights of item i in the training data.
trending:    s_i = sum over events e of item i inside the window of w_e * 2^(-age_e / half_life)
             + epsilon * popularity_i (so items outside the window still have an order),
             where age_e = now - t_e and now is the latest event time (or config.now).
             Without timestamps the age of an event is its distance, in events, from the end
             of its user's sequence, so "recent" means "among each user's latest items".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recommendations.engine.base import Recommender, register
from recommendations.engine.data import EvalSet, InteractionData
from recommendations.engine.metrics import top_k

# Weight of all-time popularity under the trending score: breaks ties, never overrides.
BACKFILL = 1e-6


def normalised(values: np.ndarray) -> np.ndarray:
    """values / max(values) (all zeros stay zeros), as a backfill that is at most 1."""
    top = float(np.max(values)) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


class SameForEveryone(Recommender):
    """A recommender whose item scores do not depend on the history (`item_scores`)."""

    item_scores: np.ndarray

    def score_batch(self, histories: Sequence[Sequence[int]]) -> np.ndarray:
        self._check_fitted()
        return np.tile(self.item_scores, (len(histories), 1))

    def _ranked(
        self, arrays: list[np.ndarray], k: int, excluded: np.ndarray, exclude_history: bool
    ) -> list[tuple[list[int], list[float]]]:
        """The catalogue is ranked once for the whole batch (the first k + longest history
        items), and each history's own items are dropped from that ranking: the same lists
        as ranking every row of score_batch, without a pass over the catalogue per history.
        These recommenders name no anchors."""
        scores = self.item_scores.astype(np.float32)  # a copy
        scores[excluded] = -np.inf
        longest = max(len(history) for history in arrays) if exclude_history else 0
        order = top_k(scores[None, :], k + longest)[0]
        order = order[np.isfinite(scores[order])]
        items, values = order.tolist(), scores[order].tolist()
        ranked = []
        for history in arrays:
            banned = set(history.tolist()) if exclude_history else set()
            kept = [n for n, item in enumerate(items) if item not in banned][:k]
            ranked.append(([items[n] for n in kept], [values[n] for n in kept]))
        return ranked


@dataclass(frozen=True)
class PopularityConfig:
    """No hyper-parameters: popularity is a sum of event weights."""


@register("popularity")
class PopularityRecommender(SameForEveryone):
    """The same list for everyone: the most interacted-with items."""

    Config = PopularityConfig
    reason = "popular"

    def _fit(self, data: InteractionData, validation: EvalSet | None) -> None:
        _, items, _, weights = data.flat()
        self.item_scores = np.bincount(items, weights=weights, minlength=data.num_items).astype(
            np.float32
        )

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_scores": self.item_scores}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_scores = arrays["item_scores"]


@dataclass(frozen=True)
class TrendingConfig:
    """half_life and window are in seconds with timestamps, in events without them."""

    half_life: float = 7 * 24 * 3600.0
    window: float | None = 30 * 24 * 3600.0
    now: float | None = None

    def __post_init__(self) -> None:
        if self.half_life <= 0:
            raise ValueError("half_life must be positive.")
        if self.window is not None and self.window <= 0:
            raise ValueError("window must be positive when given.")


@register("trending")
class TrendingRecommender(SameForEveryone):
    """Items with many recent events, older events fading with an exponential half-life."""

    Config = TrendingConfig
    reason = "trending"

    def _fit(self, data: InteractionData, validation: EvalSet | None) -> None:
        users, items, positions, weights = data.flat()
        if data.timestamps is not None and len(items):
            times = np.concatenate(data.timestamps)
            now = self.config.now if self.config.now is not None else float(times.max())
            ages = now - times
        else:
            lengths = np.array([len(s) for s in data.sequences])
            ages = (lengths[users] - 1 - positions).astype(np.float64)
        inside = ages >= 0
        if self.config.window is not None:
            inside &= ages <= self.config.window
        decay = np.exp(-math.log(2.0) * ages[inside] / self.config.half_life)
        recent = np.bincount(
            items[inside], weights=weights[inside] * decay, minlength=data.num_items
        )
        popular = np.bincount(items, weights=weights, minlength=data.num_items)
        self.item_scores = (recent + BACKFILL * normalised(popular)).astype(np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_scores": self.item_scores}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_scores = arrays["item_scores"]
