"""Reads of the recommendations app: shoppers' histories over a bundle's catalogue, precomputed
lists and the online report of the lists."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ml.models import Job, ModelVersion
from recommendations.bundle import EVENT_WEIGHTS, Catalogue
from recommendations.models import ListEvent, PersonalList
from shop import selectors as shop_selectors
from shop.privacy import selectors as privacy_selectors

RECS_TASK = "recommendations"
TRAIN_JOB_KIND = "recommendations_train"
LISTS_JOB_KIND = "recommendations_lists"
# How many of a shopper's latest steps the models look at (the sequential model's window).
HISTORY_LENGTH = 50


@dataclass
class Behaviour:
    """Per-customer and per-session steps (time, item index, weight) and each order's items."""

    customers: dict[int, list[tuple[float, int, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    sessions: dict[str, list[tuple[float, int, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    baskets: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


def collapse_repeats(steps: list[tuple[float, int, float]]) -> tuple[list, list, list]:
    """Sort (time, item, weight) by time and merge consecutive steps on the same item (a view,
    an add-to-cart and a purchase of one product are one step, weighted by the strongest).
    Returns (times, items, weights)."""
    times: list[float] = []
    items: list[int] = []
    weights: list[float] = []
    for at, item, weight in sorted(steps, key=lambda step: step[0]):
        if items and items[-1] == item:
            weights[-1] = max(weights[-1], weight)
            continue
        times.append(at)
        items.append(item)
        weights.append(weight)
    return times, items, weights


def behaviour(*, catalogue: Catalogue) -> Behaviour:
    """Every event naming a product and every sold order's items, over the catalogue's item
    indices (products the catalogue does not know are skipped)."""
    found = Behaviour()
    # Erased customers' placeholders keep their orders (accounting), never their training rows.
    erased = privacy_selectors.erased_customer_ids()
    for customer_id, session_id, product_id, kind, at in shop_selectors.event_rows_with_products():
        index = catalogue.index_of(product_id)
        if index is None or customer_id in erased:
            continue
        step = (at.timestamp(), index, EVENT_WEIGHTS.get(kind, 1.0))
        if customer_id is not None:
            found.customers[customer_id].append(step)
        elif session_id:
            found.sessions[session_id].append(step)
    for order_id, customer_id, product_id, placed_at in shop_selectors.order_item_rows():
        index = catalogue.index_of(product_id)
        if index is None or customer_id in erased:
            continue
        if index not in found.baskets[order_id]:
            found.baskets[order_id].append(index)
        if customer_id is not None:
            found.customers[customer_id].append(
                (placed_at.timestamp(), index, EVENT_WEIGHTS["purchase"])
            )
    return found


def lists_job_pending() -> Job | None:
    """The oldest refresh of the personal lists, or training (which ends with one), that is
    still queued or running."""
    return (
        Job.objects.filter(kind__in=(TRAIN_JOB_KIND, LISTS_JOB_KIND))
        .exclude(status__in=Job.TERMINAL_STATUSES)
        .order_by("pk")
        .first()
    )


def customer_histories(*, catalogue: Catalogue) -> dict[int, list[int]]:
    """Each customer's latest HISTORY_LENGTH item indices, oldest first, by customer id."""
    steps = behaviour(catalogue=catalogue).customers
    return {
        customer_id: collapse_repeats(steps[customer_id])[1][-HISTORY_LENGTH:]
        for customer_id in sorted(steps)
    }


def versions_with_lists() -> QuerySet[ModelVersion]:
    """The recommendation versions that made personal lists, newest first: one index probe
    per version, not a DISTINCT over every list (a million on a large store)."""
    return (
        ModelVersion.objects.filter(task=RECS_TASK)
        .filter(Exists(PersonalList.objects.filter(model_version=OuterRef("pk"))))
        .order_by("-pk")
    )


def list_fingerprints(*, version_id: int) -> dict[int, int | None]:
    """customer id -> history fingerprint of each list the given version made."""
    return dict(
        PersonalList.objects.filter(model_version_id=version_id)
        .values_list("customer_id", "history_fingerprint")
        .iterator(chunk_size=20_000)
    )


def shopper_history(
    *, catalogue: Catalogue, customer_id: int | None = None, session_id: str = ""
) -> list[int]:
    """The latest item indices (oldest first) of a customer (events and purchases), of an
    anonymous session (its events), or of both merged."""
    rows = []
    if customer_id is not None:
        rows += list(shop_selectors.event_rows_with_products(customer_id=customer_id))
        rows += [
            (customer_id, "", product_id, "purchase", placed_at)
            for _, _, product_id, placed_at in shop_selectors.order_item_rows(
                customer_id=customer_id
            )
        ]
    if session_id:
        rows += list(shop_selectors.event_rows_with_products(session_id=session_id))
    steps = []
    for _, _, product_id, kind, at in rows:
        index = catalogue.index_of(product_id)
        if index is not None:
            steps.append((at.timestamp(), index, EVENT_WEIGHTS.get(kind, 1.0)))
    return collapse_repeats(steps)[1][-HISTORY_LENGTH:]


@functools.cache
def _personal_list_items_sql(vendor: str) -> str:
    """The statement of personal_list_items for the database `vendor`, built once."""
    meta = PersonalList._meta
    # Identifiers from the model's metadata, quoted; the values are parameters.
    table, items, customer, version = (
        connection.ops.quote_name(name)
        for name in (
            meta.db_table,
            meta.get_field("items").column,
            meta.get_field("customer").column,
            meta.get_field("model_version").column,
        )
    )
    return f"SELECT {items} FROM {table} WHERE {customer} = %s AND {version} = %s"  # noqa: S608


def personal_list_items(*, customer_id: int, version_id: int) -> list[dict] | None:
    """The items of the customer's precomputed list if the given (champion) version made it,
    else None.

    This is the read behind every uncached /for-you/ request, so it is one hand-written
    statement: building the same query through the ORM took about 0.4 ms of Python per call
    (measured in-process on the demo store), several times the query itself.
    """
    sql = _personal_list_items_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id, version_id])
        row = cursor.fetchone()
    if row is None:
        return None
    value = row[0]
    # The column is JSON text on SQLite and jsonb on PostgreSQL, whose driver may decode it.
    return json.loads(value) if isinstance(value, str | bytes) else value


def list_report(*, conversion_window_days: int = 7) -> list[dict]:
    """Per list type and model version: impressions, clicks, click-through rate, and clicks that
    converted (an order by the same customer containing the clicked product within the window
    after the click; computed from the order tables, never reported by the client)."""
    from datetime import timedelta

    from shop.models import OrderItem

    window = timedelta(days=conversion_window_days)
    converted = OrderItem.objects.filter(
        product_id=OuterRef("product_id"),
        order__customer_id=OuterRef("customer_id"),
        order__placed_at__gte=OuterRef("occurred_at"),
        order__placed_at__lte=OuterRef("occurred_at") + window,
        order__status__in=shop_selectors.SOLD_STATUSES,
    )
    clicks = ListEvent.objects.filter(kind=ListEvent.Kind.CLICK, customer__isnull=False)
    conversions = {
        (row["list_type"], row["model_version"]): row["n"]
        for row in clicks.annotate(converted=Exists(converted))
        .filter(converted=True)
        .values("list_type", "model_version")
        .annotate(n=Count("pk"))
    }
    rows = (
        ListEvent.objects.values("list_type", "model_version", "model_version__version")
        .annotate(
            impressions=Count("pk", filter=Q(kind=ListEvent.Kind.IMPRESSION)),
            clicks=Count("pk", filter=Q(kind=ListEvent.Kind.CLICK)),
        )
        .order_by("list_type", "model_version")
    )
    report = []
    for row in rows:
        key = (row["list_type"], row["model_version"])
        impressions, clicks_n = row["impressions"], row["clicks"]
        report.append(
            {
                "list": row["list_type"],
                "model_version": row["model_version"],
                "model_version_label": (
                    f"{RECS_TASK} v{row['model_version__version']}"
                    if row["model_version"]
                    else None
                ),
                "impressions": impressions,
                "clicks": clicks_n,
                "ctr": round(clicks_n / impressions, 4) if impressions else None,
                "conversions": conversions.get(key, 0),
                "conversion_rate": (
                    round(conversions.get(key, 0) / clicks_n, 4) if clicks_n else None
                ),
            }
        )
    return report
