"""What the propensity model sees of a customer at a cutoff day: behaviour features from
orders, events and reviews before that day, the mean embedding of the customer's own texts
(search queries and reviews) before it, and the label: did the customer order in the
`horizon` days from the cutoff on?

Days are integers (`date.toordinal()`); "before the cutoff" means `day < cutoff`, and the
label window is `cutoff <= day < cutoff + horizon`, so features never see the label's days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insights.cluster_engine.kmeans import Pca

#: Event kind codes of `ActivityLog.event_kind`.
EVENT_VIEW, EVENT_SEARCH, EVENT_CLICK, EVENT_CART, EVENT_PURCHASE = range(5)
EVENT_CODES = {"view": 0, "search": 1, "click": 2, "add_to_cart": 3, "purchase": 4}

#: Recency of something that never happened, and the cap of every recency (days).
NEVER_DAYS = 730.0

#: Behaviour features, in column order, with the words staff read in explanations.
FEATURES: tuple[tuple[str, str], ...] = (
    ("days_since_last_order", "days since the last order"),
    ("has_ordered", "has ordered before"),
    ("orders_log", "orders placed"),
    ("orders_90d", "orders in the last 90 days"),
    ("spend_log", "total spend"),
    ("average_order_value", "average order value"),
    ("mean_days_between_orders", "mean days between orders"),
    ("order_overdue_ratio", "days since last order / usual gap"),
    ("days_since_last_visit", "days since the last visit"),
    ("views_7d", "product views in the last 7 days"),
    ("views_30d", "product views in the last 30 days"),
    ("carts_30d", "add-to-carts in the last 30 days"),
    ("searches_30d", "searches in the last 30 days"),
    ("active_days_30d", "active days in the last 30 days"),
    ("carts_since_last_order", "add-to-carts since the last order"),
    ("tenure_days", "days since sign-up"),
    ("reviews", "reviews written"),
    ("mean_rating", "mean rating given (0 without reviews)"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _ in FEATURES)
#: Features the model sees as log1p(x); explanations show x.
LOG_FEATURES = frozenset({"orders_log", "spend_log"})
TEXT_FEATURE_PREFIX = "text_"
TEXT_REASON = "what they search for and write in reviews"


@dataclass(frozen=True)
class ActivityLog:
    """Everything the store knows of its customers' behaviour, as parallel arrays.

    Customers are rows 0..n-1 of `customer_ids`; every `*_customer` array holds such row
    indices. `text_index` points into the rows of `text_embeddings` (one per distinct text),
    which is None when texts are not used.
    """

    customer_ids: np.ndarray  # (n,) int64: the store's ids
    first_day: np.ndarray  # (n,) int64: sign-up day
    order_customer: np.ndarray
    order_day: np.ndarray
    order_value: np.ndarray  # float64
    event_customer: np.ndarray
    event_day: np.ndarray
    event_kind: np.ndarray  # int8 codes, see EVENT_CODES
    review_customer: np.ndarray
    review_day: np.ndarray
    review_rating: np.ndarray
    text_customer: np.ndarray
    text_day: np.ndarray
    text_index: np.ndarray
    text_embeddings: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.customer_ids.size)

    @property
    def last_day(self) -> int:
        """The last day with any activity (0 for an empty log)."""
        days = [a.max() for a in (self.order_day, self.event_day, self.review_day) if a.size]
        return int(max(days)) if days else 0

    @property
    def first_activity_day(self) -> int:
        """The first day with an order or event (0 for an empty log)."""
        days = [a.min() for a in (self.order_day, self.event_day) if a.size]
        return int(min(days)) if days else 0


def eligible(log: ActivityLog, cutoff: int) -> np.ndarray:
    """Customers who had signed up before the cutoff day (a boolean mask)."""
    return log.first_day < cutoff


def labels(log: ActivityLog, cutoff: int, horizon: int) -> np.ndarray:
    """1 for each customer with an order on a day in [cutoff, cutoff + horizon), else 0."""
    window = (log.order_day >= cutoff) & (log.order_day < cutoff + horizon)
    out = np.zeros(log.size, dtype=np.float32)
    out[log.order_customer[window]] = 1.0
    return out


def _count(customers: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(customers[mask], minlength=n).astype(np.float64)


def _last(customers: np.ndarray, days: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Each customer's last day among the masked rows; -inf for none."""
    out = np.full(n, -np.inf)
    np.maximum.at(out, customers[mask], days[mask].astype(np.float64))
    return out


def _first(customers: np.ndarray, days: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.inf)
    np.minimum.at(out, customers[mask], days[mask].astype(np.float64))
    return out


def _recency(cutoff: int, last: np.ndarray) -> np.ndarray:
    return np.minimum(np.where(np.isfinite(last), cutoff - last, NEVER_DAYS), NEVER_DAYS)


def behaviour_features(log: ActivityLog, cutoff: int) -> np.ndarray:
    """The FEATURES of every customer at the cutoff, from activity on days before it:
    an (n, len(FEATURES)) float32 matrix."""
    n = log.size
    before = log.order_day < cutoff
    oc, od = log.order_customer, log.order_day
    orders = _count(oc, before, n)
    spend = np.bincount(oc[before], weights=log.order_value[before], minlength=n)
    last_order = _last(oc, od, before, n)
    first_order = _first(oc, od, before, n)
    since_order = _recency(cutoff, last_order)
    span = np.where(orders > 1, last_order - first_order, 0.0)
    mean_gap = np.where(orders > 1, span / np.maximum(orders - 1, 1), 0.0)
    overdue = np.where(mean_gap > 0, since_order / np.maximum(mean_gap, 1.0), 0.0)

    ev_before = log.event_day < cutoff
    ec, ed, ek = log.event_customer, log.event_day, log.event_kind
    recent7 = ev_before & (ed >= cutoff - 7)
    recent30 = ev_before & (ed >= cutoff - 30)
    last_visit = _last(ec, ed, ev_before, n)
    carts_after_order = ev_before & (ek == EVENT_CART)
    carts_after_order &= ed > np.where(np.isfinite(last_order), last_order, -np.inf)[ec]
    # Distinct active days in the last 30: unique (customer, day) pairs.
    pairs = np.unique(ec[recent30].astype(np.int64) * 100_000 + (ed[recent30] - cutoff + 31))
    active_days = np.bincount(pairs // 100_000, minlength=n).astype(np.float64)

    rv_before = log.review_day < cutoff
    reviews = _count(log.review_customer, rv_before, n)
    rating_sum = np.bincount(
        log.review_customer[rv_before], weights=log.review_rating[rv_before], minlength=n
    )
    columns = [
        since_order,
        (orders > 0).astype(np.float64),
        np.log1p(orders),
        _count(oc, before & (od >= cutoff - 90), n),
        np.log1p(spend),
        np.where(orders > 0, spend / np.maximum(orders, 1), 0.0),
        np.minimum(mean_gap, NEVER_DAYS),
        np.minimum(overdue, 50.0),
        _recency(cutoff, last_visit),
        _count(ec, recent7 & (ek == EVENT_VIEW), n),
        _count(ec, recent30 & (ek == EVENT_VIEW), n),
        _count(ec, recent30 & (ek == EVENT_CART), n),
        _count(ec, recent30 & (ek == EVENT_SEARCH), n),
        active_days,
        _count(ec, carts_after_order, n),
        np.clip(cutoff - log.first_day, 0, NEVER_DAYS * 5).astype(np.float64),
        reviews,
        np.where(reviews > 0, rating_sum / np.maximum(reviews, 1), 0.0),
    ]
    return np.stack(columns, axis=1).astype(np.float32)


def text_means(log: ActivityLog, cutoff: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Each customer's mean text embedding over texts dated before the cutoff, and a mask of
    customers with at least one such text; None when the log carries no embeddings."""
    if log.text_embeddings is None:
        return None
    n, dim = log.size, log.text_embeddings.shape[1]
    mask = log.text_day < cutoff
    sums = np.zeros((n, dim), dtype=np.float64)
    np.add.at(sums, log.text_customer[mask], log.text_embeddings[log.text_index[mask]])
    counts = np.bincount(log.text_customer[mask], minlength=n)
    has = counts > 0
    sums[has] /= counts[has, None]
    return sums.astype(np.float32), has


@dataclass(frozen=True)
class TextProjection:
    """PCA of customers' mean text embeddings: `components` (k, dim) rows, fitted `mean`."""

    mean: np.ndarray
    components: np.ndarray

    @property
    def size(self) -> int:
        return int(self.components.shape[0])

    @classmethod
    def fit(cls, means: np.ndarray, k: int) -> TextProjection | None:
        """Fit on customers' mean embeddings (rows); None with fewer than 2k rows."""
        if means.shape[0] < 2 * k or k <= 0:
            return None
        pca = Pca.fit(means, components=k)
        return cls(mean=pca.mean.astype(np.float32), components=pca.components.astype(np.float32))

    def transform(self, means: np.ndarray, has_text: np.ndarray) -> np.ndarray:
        """Components of each customer's mean embedding; 0 (the average) without texts."""
        out = (means - self.mean) @ self.components.T
        out[~has_text] = 0.0
        return out.astype(np.float32)


def design_matrix(log: ActivityLog, cutoff: int, projection: TextProjection | None) -> np.ndarray:
    """Behaviour features, then the text components when a projection is given."""
    base = behaviour_features(log, cutoff)
    if projection is None:
        return base
    found = text_means(log, cutoff)
    if found is None:
        return np.concatenate([base, np.zeros((log.size, projection.size), np.float32)], axis=1)
    means, has = found
    return np.concatenate([base, projection.transform(means, has)], axis=1)


def feature_names(projection: TextProjection | None) -> list[str]:
    names = list(FEATURE_NAMES)
    if projection is not None:
        names += [f"{TEXT_FEATURE_PREFIX}{i + 1}" for i in range(projection.size)]
    return names
