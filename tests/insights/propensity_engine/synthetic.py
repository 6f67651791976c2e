"""A simulated store with a planted propensity signal, for the pure engine tests.

Each customer has an activity rate (log-normal) and may lapse on a random day. While active,
they visit on a day with a chance that follows their rate; a visit views products, sometimes
adds to the cart and sometimes orders. So who bought recently, and who still visits, predicts
who orders next: a model that learns anything beats chance by a wide margin, while the
outcome stays noisy (AUC well below 1).
"""

from __future__ import annotations

import numpy as np

from insights.propensity_engine.features import EVENT_CART, EVENT_SEARCH, EVENT_VIEW, ActivityLog


def simulated_log(
    *, customers: int = 500, days: int = 300, seed: int = 0, texts: bool = False
) -> ActivityLog:
    rng = np.random.default_rng(seed)
    rate = np.clip(rng.lognormal(mean=-3.0, sigma=0.9, size=customers), 0.002, 0.5)
    signup = rng.integers(0, days // 3, size=customers)
    lapse = np.where(rng.random(customers) < 0.5, rng.integers(days // 4, days, customers), days)
    orders: list[tuple[int, int, float]] = []
    events: list[tuple[int, int, int]] = []
    reviews: list[tuple[int, int, float]] = []
    text_rows: list[tuple[int, int, int]] = []
    for c in range(customers):
        active = np.arange(signup[c], lapse[c])
        visits = active[rng.random(active.size) < rate[c]]
        for day in visits:
            for _ in range(rng.integers(1, 5)):
                events.append((c, int(day), EVENT_VIEW))
            if rng.random() < 0.3:
                events.append((c, int(day), EVENT_SEARCH))
                text_rows.append((c, int(day), int(c % 2)))
            if rng.random() < 0.4:
                events.append((c, int(day), EVENT_CART))
                if rng.random() < 0.6:
                    orders.append((c, int(day), float(rng.gamma(2.0, 30.0))))
                    if rng.random() < 0.2:
                        reviews.append((c, int(day) + 3, float(rng.integers(1, 6))))
    o = np.array(orders, dtype=np.float64).reshape(-1, 3)
    e = np.array(events, dtype=np.int64).reshape(-1, 3)
    r = np.array(reviews, dtype=np.float64).reshape(-1, 3)
    t = np.array(text_rows, dtype=np.int64).reshape(-1, 3)
    embeddings = None
    if texts:
        embeddings = rng.normal(size=(2, 16)).astype(np.float32)
    return ActivityLog(
        customer_ids=np.arange(1000, 1000 + customers, dtype=np.int64),
        first_day=signup.astype(np.int64),
        order_customer=o[:, 0].astype(np.int64),
        order_day=o[:, 1].astype(np.int64),
        order_value=o[:, 2],
        event_customer=e[:, 0],
        event_day=e[:, 1],
        event_kind=e[:, 2].astype(np.int8),
        review_customer=r[:, 0].astype(np.int64),
        review_day=r[:, 1].astype(np.int64),
        review_rating=r[:, 2],
        text_customer=t[:, 0],
        text_day=t[:, 1],
        text_index=t[:, 2],
        text_embeddings=embeddings,
    )
