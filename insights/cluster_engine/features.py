"""Customer activity as the numbers behaviour clusters are made from.

Behaviour features, per customer (over the lookback window the caller read):

    orders        log(1 + orders)
    spend         log(1 + total spend)
    aov           log(1 + spend / orders)                   0 without orders
    price_level   mean over viewed and bought items of price / mean price of the item's
                  category (1 = the category's average; 1 without such items)
    sessions      log(1 + distinct sessions)
    conversion    min(1, orders / sessions)                 0 without sessions
    views_per_order  log(1 + views / (orders + 1))
    search_share  searches / events                         0 without events
    reviews       log(1 + reviews written)
    recency       log(1 + days since the last order or event)
    share:<c>     share of the customer's item activity (views and bought items) in top-level
                  category c, for the `categories` the caller passes (the most active ones)

Counts are log-scaled because they are heavy-tailed. Every column is then standardised
(z-score over the customers clustered). Text: the mean encoder embedding of what a customer
searched for and wrote in reviews, reduced by a PCA fitted on the customers who have text to
`text_components` components; those are standardised too and scaled by
sqrt(text_weight / components), so the whole text block carries the variance of `text_weight`
behaviour features and cannot swamp them. A customer without text sits at the text mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from insights.cluster_engine.kmeans import Pca, Standardiser

BEHAVIOUR_FEATURES = (
    "orders",
    "spend",
    "aov",
    "price_level",
    "sessions",
    "conversion",
    "views_per_order",
    "search_share",
    "reviews",
    "recency",
)
SHARE_PREFIX = "share:"
TEXT_PREFIX = "text_pc"


@dataclass(frozen=True)
class CustomerActivity:
    """What one customer did in the window, as counts and sums."""

    customer_id: int
    orders: int = 0
    spend: float = 0.0
    sessions: int = 0
    events: int = 0
    views: int = 0
    carts: int = 0
    searches: int = 0
    reviews: int = 0
    recency_days: float = 0.0
    # Top-level category name -> items viewed or bought in it.
    category_items: Mapping[str, float] = field(default_factory=dict)
    # Sum of price / category mean price over those items, and their number.
    relative_price_sum: float = 0.0
    priced_items: int = 0

    @property
    def aov(self) -> float:
        return self.spend / self.orders if self.orders else 0.0

    @property
    def price_level(self) -> float:
        return self.relative_price_sum / self.priced_items if self.priced_items else 1.0

    @property
    def conversion(self) -> float:
        return min(1.0, self.orders / self.sessions) if self.sessions else 0.0

    @property
    def search_share(self) -> float:
        return self.searches / self.events if self.events else 0.0

    def category_shares(self) -> dict[str, float]:
        total = sum(self.category_items.values())
        if total <= 0:
            return {}
        return {name: count / total for name, count in self.category_items.items()}


@dataclass(frozen=True)
class FeatureConfig:
    text_components: int = 3
    text_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.text_components < 0 or self.text_weight < 0:
            raise ValueError("text_components and text_weight must not be negative.")


@dataclass(frozen=True)
class FeatureMatrix:
    customer_ids: list[int]
    names: list[str]
    x: np.ndarray  # (customers, features), standardised (and the text block weighted)
    text_explained_variance: list[float]  # share of text variance kept by each component


def behaviour_row(activity: CustomerActivity, categories: Sequence[str]) -> list[float]:
    """The raw (unstandardised) behaviour features of one customer (module docstring)."""
    shares = activity.category_shares()
    return [
        math.log1p(activity.orders),
        math.log1p(max(activity.spend, 0.0)),
        math.log1p(max(activity.aov, 0.0)),
        activity.price_level,
        math.log1p(activity.sessions),
        activity.conversion,
        math.log1p(activity.views / (activity.orders + 1)),
        activity.search_share,
        math.log1p(activity.reviews),
        math.log1p(max(activity.recency_days, 0.0)),
        *(shares.get(name, 0.0) for name in categories),
    ]


def feature_matrix(
    activities: Sequence[CustomerActivity],
    *,
    categories: Sequence[str],
    text_vectors: Mapping[int, np.ndarray] | None = None,
    config: FeatureConfig | None = None,
) -> FeatureMatrix:
    """The standardised matrix of `activities` (one row each, in order), text block appended
    when `text_vectors` (customer id -> mean embedding) holds enough customers to fit it."""
    config = config or FeatureConfig()
    if not activities:
        raise ValueError("No customers to build features for.")
    names = [*BEHAVIOUR_FEATURES, *(SHARE_PREFIX + name for name in categories)]
    raw = np.array([behaviour_row(a, categories) for a in activities], dtype=float)
    blocks = [Standardiser.fit(raw).transform(raw)]
    explained: list[float] = []
    text_vectors = text_vectors or {}
    ids = [a.customer_id for a in activities]
    with_text = [i for i, customer_id in enumerate(ids) if customer_id in text_vectors]
    components = min(config.text_components, len(with_text) - 1)
    if config.text_weight > 0 and components >= 1:
        texts = np.stack([np.asarray(text_vectors[ids[i]], dtype=float) for i in with_text])
        pca = Pca.fit(texts, components=components)
        reduced = np.zeros((len(ids), components))
        reduced[with_text] = pca.transform(texts)
        block = Standardiser.fit(reduced).transform(reduced)
        blocks.append(block * math.sqrt(config.text_weight / components))
        names += [f"{TEXT_PREFIX}{i + 1}" for i in range(components)]
        explained = [round(float(v), 4) for v in pca.explained_variance_ratio]
    return FeatureMatrix(
        customer_ids=ids, names=names, x=np.hstack(blocks), text_explained_variance=explained
    )
