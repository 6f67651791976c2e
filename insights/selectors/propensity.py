"""Reads of purchase propensity: the activity log the model learns from, the stored scores,
and the champion model's evaluation.

The log holds customers who allow profiling and whose data were not erased, their orders
that turned into revenue, their own events (guest sessions left out) and reviews, all dated
by the local calendar day. Texts (search queries and reviews) are embedded by the caller's
`embed` function, once per distinct text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from insights.models import PurchasePropensity
from insights.propensity_engine.features import EVENT_CODES, ActivityLog
from ml import selectors as ml_selectors
from ml.models import Job
from shop import selectors as shop_selectors

PROPENSITY_TASK = "purchase_propensity"
TRAIN_JOB_KIND = "purchase_propensity_train"
SCORE_JOB_KIND = "purchase_propensity_score"
MAX_TEXT_CHARS = 512

Embed = Callable[[list[str]], np.ndarray]


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def propensity_activity_log(*, as_of: date, embed: Embed | None = None) -> ActivityLog:
    """The store's activity up to the end of `as_of`, as the engine's arrays (four queries,
    streamed)."""
    end = _end_of(as_of)
    customers = list(shop_selectors.customer_profiling_rows())
    index = {pk: i for i, (pk, _created) in enumerate(customers)}
    first_day = np.array(
        [timezone.localdate(created).toordinal() for _pk, created in customers], dtype=np.int64
    )

    orders = [
        (index[customer_id], timezone.localdate(placed_at).toordinal(), float(total))
        for customer_id, placed_at, total in shop_selectors.order_values_for_customers(
            placed_before=end
        ).iterator(chunk_size=5000)
        if customer_id in index
    ]
    texts: dict[str, int] = {}
    text_rows: list[tuple[int, int, int]] = []

    def text_id(text: str) -> int:
        return texts.setdefault(text[:MAX_TEXT_CHARS], len(texts))

    events = []
    for customer_id, day, kind, query in shop_selectors.event_day_rows_for_customers(
        occurred_before=end
    ).iterator(chunk_size=10000):
        row = index.get(customer_id)
        if row is None:
            continue
        events.append((row, day.toordinal(), EVENT_CODES.get(kind, -1)))
        query = query.strip().lower()
        if embed is not None and kind == "search" and query:
            text_rows.append((row, day.toordinal(), text_id(query)))
    reviews = []
    for customer_id, day, rating, title, text in shop_selectors.review_day_rows_for_customers(
        created_before=end
    ).iterator(chunk_size=5000):
        row = index.get(customer_id)
        if row is None:
            continue
        reviews.append((row, day.toordinal(), float(rating)))
        body = shop_selectors.review_text_for_model(title=title, text=text)
        if embed is not None and body:
            text_rows.append((row, day.toordinal(), text_id(body)))

    embeddings = None
    if embed is not None:
        embeddings = (
            np.asarray(embed(list(texts)), dtype=np.float32)
            if texts
            else np.zeros((0, 1), dtype=np.float32)
        )

    def columns(rows: list[tuple], dtypes: tuple) -> list[np.ndarray]:
        if not rows:
            return [np.zeros(0, dtype=t) for t in dtypes]
        transposed = zip(*rows, strict=True)
        return [np.asarray(col, dtype=t) for col, t in zip(transposed, dtypes, strict=True)]

    oc, od, ov = columns(orders, (np.int64, np.int64, np.float64))
    ec, ed, ek = columns(events, (np.int64, np.int64, np.int8))
    rc, rd, rr = columns(reviews, (np.int64, np.int64, np.float64))
    tc, td, ti = columns(text_rows, (np.int64, np.int64, np.int64))
    return ActivityLog(
        customer_ids=np.array([pk for pk, _created in customers], dtype=np.int64),
        first_day=first_day,
        order_customer=oc,
        order_day=od,
        order_value=ov,
        event_customer=ec,
        event_day=ed,
        event_kind=ek,
        review_customer=rc,
        review_day=rd,
        review_rating=rr,
        text_customer=tc,
        text_day=td,
        text_index=ti,
        text_embeddings=embeddings,
    )


def propensity_get(*, customer_id: int) -> PurchasePropensity:
    """The customer's score with its model version; raises PurchasePropensity.DoesNotExist."""
    return PurchasePropensity.objects.select_related("model_version").get(customer_id=customer_id)


def propensity_list() -> QuerySet[PurchasePropensity]:
    return PurchasePropensity.objects.select_related("customer", "model_version").order_by(
        "-probability", "pk"
    )


def propensity_distribution(*, bins: int = 10) -> list[int]:
    """How many scored customers fall in each of `bins` equal-width probability bins."""
    values = np.fromiter(
        PurchasePropensity.objects.values_list("probability", flat=True), dtype=np.float64
    )
    counts, _ = np.histogram(values, bins=bins, range=(0.0, 1.0))
    return [int(c) for c in counts]


def propensity_champion() -> dict[str, Any] | None:
    """The champion version with its evaluation, or None before any model was promoted."""
    alias = ml_selectors.alias_get(task=PROPENSITY_TASK)
    if alias is None:
        return None
    return {"version": alias.version, "metrics": alias.version.metrics or {}}


def propensity_job_queued() -> Job | None:
    return (
        Job.objects.filter(
            kind__in=[TRAIN_JOB_KIND, SCORE_JOB_KIND],
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        )
        .order_by("-created_at")
        .first()
    )
