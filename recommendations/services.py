"""Writes of the recommendations app: training a bundle, precomputing lists, recording feedback.

The store's behaviour is read through shop's selectors and turned into the plain arrays of
`recommendations.bundle.BundleData`; the engine never sees Django.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ml import services as ml_services
from ml.selectors import alias_get
from recommendations import selectors
from recommendations.bundle import (
    BundleConfig,
    BundleData,
    Catalogue,
    CatalogueItem,
    train_bundle,
)
from recommendations.engine.data import InteractionData
from recommendations.models import ListEvent, PersonalList
from shop import selectors as shop_selectors
from shop.bulk import upsert_on_key

RECS_TASK = selectors.RECS_TASK
HEADLINE_METRIC = "ndcg@10"
PERSONAL_LIST_LENGTH = 20

Progress = Callable[[float, str], None]


def _no_progress(percent: float, message: str = "") -> None:
    return None


# --- data ---------------------------------------------------------------------------------------


def product_text(row: dict) -> str:
    """The text embedded for content similarity: title, category and the description's start."""
    parts = [row["title"], row.get("category__name") or "", (row.get("description") or "")[:400]]
    return ". ".join(part.strip() for part in parts if part and part.strip())


def catalogue_from_rows(rows: list[dict]) -> Catalogue:
    return Catalogue(
        tuple(
            CatalogueItem(
                product_id=row["id"],
                title=row["title"],
                category_id=row["category_id"],
                category=row.get("category__name") or "",
                price=float(row["price"]) if row.get("price") is not None else None,
            )
            for row in rows
        )
    )


def recs_bundle_data(*, embed: Callable[[list[str]], np.ndarray] | None = None) -> BundleData:
    """The store's catalogue, customers' sequences, sessions and baskets as a BundleData.

    Customers' sequences merge their events with their sold orders' items; anonymous sessions
    feed co-viewing only. `embed` (texts -> vectors) gives the content model its embeddings.
    """
    rows = shop_selectors.product_catalogue_rows()
    catalogue = catalogue_from_rows(rows)
    found = selectors.behaviour(catalogue=catalogue)
    customer_ids = sorted(found.customers)
    sequences, timestamps, weights = [], [], []
    for customer_id in customer_ids:
        times, items, item_weights = selectors.collapse_repeats(found.customers[customer_id])
        sequences.append(items)
        timestamps.append(times)
        weights.append(item_weights)
    customers = InteractionData.from_sequences(
        sequences,
        num_items=max(1, len(catalogue)),
        timestamps=timestamps,
        weights=weights,
        user_ids=tuple(str(c) for c in customer_ids),
        item_ids=tuple(str(item.product_id) for item in catalogue.items) if rows else None,
    )
    sessions = tuple(
        np.asarray(items, dtype=np.int64)
        for items in (selectors.collapse_repeats(s)[1] for s in found.sessions.values())
        if len(items) > 1
    )
    embeddings = None
    if embed is not None and rows:
        embeddings = np.asarray(embed([product_text(row) for row in rows]), dtype=np.float32)
    return BundleData(
        catalogue=catalogue,
        customer_sequences=customers,
        baskets=tuple(np.asarray(items, dtype=np.int64) for items in found.baskets.values()),
        sessions=sessions,
        item_embeddings=embeddings,
    )


def _base_encoder_embed(texts: list[str]) -> np.ndarray:
    """The base encoder's vectors of the product texts; unchanged texts' vectors are read
    from the database (`ml.services.embeddings`), not embedded again every night."""
    from ml.services.embeddings import embed_cached

    return embed_cached(texts)


# --- training -------------------------------------------------------------------------------


def recs_train(
    *,
    sequential: dict[str, Any] | None = None,
    use_content: bool = True,
    promote: bool = True,
    training_job_id: int | None = None,
    progress: Progress = _no_progress,
):
    """Train a bundle on the store's behaviour, register it and (if it beats the champion on
    the sequential model's NDCG@10, or there is none) promote it. Returns (version, promoted).

    Raises ValueError when the store has nothing to learn from (no products or no events).
    """
    progress(1, "Reading the store's behaviour")
    data = recs_bundle_data(embed=_base_encoder_embed if use_content else None)
    summary = {
        "products": len(data.catalogue),
        "customers": data.customer_sequences.num_users,
        "customer_interactions": data.customer_sequences.num_interactions,
        "sessions": len(data.sessions),
        "orders": len(data.baskets),
        "content_embeddings": data.item_embeddings is not None,
    }
    config = BundleConfig(sequential={"device": settings.ML_DEVICE, **(sequential or {})})
    bundle = train_bundle(data, config, progress=progress)
    models = bundle.evaluation.get("models", {})
    metrics = {
        **bundle.evaluation,
        HEADLINE_METRIC: models.get("sequential", {}).get(HEADLINE_METRIC),
        "baseline": {"test": {HEADLINE_METRIC: models.get("popularity", {}).get(HEADLINE_METRIC)}},
    }
    progress(92, "Registering the bundle")
    with tempfile.TemporaryDirectory(prefix="recs-") as tmp:
        bundle.save(Path(tmp) / "bundle")
        version = ml_services.modelversion_register(
            task=RECS_TASK,
            source_dir=Path(tmp) / "bundle",
            base_model=str(settings.ML_ENCODER) if use_content else "",
            training_job_id=training_job_id,
            data_summary=summary,
            hyperparameters={"sequential": config.sequential, "use_content": use_content},
            metrics=metrics,
        )
    promoted = promote and _beats_champion(metrics.get(HEADLINE_METRIC))
    if promoted:
        ml_services.alias_promote(version_id=version.pk, user=None)
    return version, bool(promoted)


def _beats_champion(score: float | None) -> bool:
    champion = alias_get(task=RECS_TASK)
    if champion is None:
        return True
    if score is None:
        return False
    current = (champion.version.metrics or {}).get(HEADLINE_METRIC)
    return current is None or score >= current


# --- precomputed lists -----------------------------------------------------------------------


def history_fingerprint(history: list[int]) -> int:
    """A 64-bit fingerprint of a history (item indices in order), as a signed integer (the
    range of a database bigint)."""
    digest = hashlib.blake2b(np.asarray(history, dtype=np.int64).tobytes(), digest_size=8)
    return int.from_bytes(digest.digest(), "little", signed=True)


def personal_lists_recompute(
    *, progress: Progress = _no_progress, batch_size: int = 200, only_changed: bool = False
) -> int:
    """Recompute the customers' "for you" lists with the champion bundle; returns how many.

    Every customer with a history gets a list; with `only_changed`, only those whose list is
    missing, was made by another version, or was made from another history (its
    `history_fingerprint`). A champion's list depends on the history and on which products
    are available, and serving already drops products that went out of stock from a stored
    list; a product back in stock reaches the unchanged lists at the next full refresh (the
    nightly training ends with one).
    Lists are written in batches, each in one transaction (a list is replaced whole); lists
    made by older versions are replaced, and serving ignores any that are not the champion's.
    """
    from recommendations.serving import business_rules, champion_bundle

    served = champion_bundle()
    blender = served.model.personal_blender(business_rules(served.model))
    histories = selectors.customer_histories(catalogue=served.model.catalogue)
    now = timezone.now()
    fingerprints = {customer: history_fingerprint(h) for customer, h in histories.items()}
    customers = list(histories)
    if only_changed:
        stored = selectors.list_fingerprints(version_id=served.version.pk)
        customers = [c for c in customers if stored.get(c) != fingerprints[c]]
    total = len(customers)
    written = 0
    product_id = served.model.catalogue.product_id
    progress(0, f"{total} of {len(histories)} customers' lists to compute")
    for start in range(0, total, batch_size):
        chunk = customers[start : start + batch_size]
        # One batch through every source model (one forward pass of the sequential model).
        lists = blender.recommend_batch(
            [histories[customer_id] for customer_id in chunk], k=PERSONAL_LIST_LENGTH
        )
        _upsert_lists(
            [
                PersonalList(
                    customer_id=customer_id,
                    model_version=served.version,
                    items=[
                        {
                            "product": product_id(r.item),
                            "score": round(float(r.score), 6),
                            "reason": r.reason,
                            "anchor": product_id(r.anchor) if r.anchor is not None else None,
                        }
                        for r in recommended
                    ],
                    computed_at=now,
                    history_fingerprint=fingerprints[customer_id],
                )
                for customer_id, recommended in zip(chunk, lists, strict=True)
            ]
        )
        written += len(chunk)
        progress(100 * written / max(1, total), f"{written} of {total} customers")
    return written


def _upsert_lists(lists: list[PersonalList]) -> None:
    with transaction.atomic():
        upsert_on_key(
            PersonalList,
            "customer",
            lists,
            ["model_version", "items", "computed_at", "history_fingerprint"],
        )


# --- feedback from the storefront --------------------------------------------------------------


def list_event_create_batch(*, events: Iterable[dict]) -> int:
    """Record impressions and clicks (already validated by the API serializer), all or none."""
    rows = [
        ListEvent(
            kind=event["kind"],
            list_type=event["list"],
            position=event["position"],
            product_id=event["product"],
            customer_id=event.get("customer"),
            session_id=event.get("session_id", ""),
            model_version_id=event.get("model_version"),
            occurred_at=event.get("occurred_at") or timezone.now(),
        )
        for event in events
    ]
    with transaction.atomic():
        ListEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
