"""Answering the storefront: the champion bundle, business rules and the four lists.

The champion bundle is loaded once per process through `ml.serving.model_cache`, which checks
the alias every few seconds and swaps in the new version after a promotion or roll-back (the
item vectors of the content model are the in-process vector index: a normalised matrix whose
dot product with a query is exact nearest-neighbour search; at catalogue sizes up to ~10^5
items that is a millisecond of BLAS, so no approximate index is needed). Which products may be
shown (active and in stock), with what a list shows of each (title, price, ...), is a snapshot
of the catalogue re-read at most every `RULES_TTL_S` seconds, so a list is rendered without a
query. Item lists (similar, bought together) are memoised on the loaded bundle, so each is
computed once per champion and process; the current availability is applied when rendering.

When there is no champion yet, or the shopper or product is unknown, each list falls back to
something sensible (trending, or the store's best sellers) and says so; it never errors.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from recommendations.bundle import Bundle
from recommendations.engine import Recommendation
from recommendations.engine.blender import Blender, BlendSource, BusinessRules
from recommendations.models import ListType
from recommendations.selectors import RECS_TASK, personal_list_items, shopper_history
from shop import selectors as shop_selectors

RULES_TTL_S = 30.0
MAX_PER_CATEGORY = 4

REASON_TEXTS = {
    "viewed": "Because you viewed {anchor}",
    "bought_with": "Often bought with {anchor}",
    "similar": "Similar to {anchor}",
    "for_you": "Picked for you from your recent activity",
    "trending": "Trending in {category}",
    "popular": "Popular in the store",
    "promoted": "Staff pick",
    "best_seller": "A best seller",
}


@dataclass(frozen=True)
class Item:
    product_id: int
    score: float
    reason: str
    anchor_id: int | None = None


@dataclass(frozen=True)
class RecommendationList:
    list_type: str
    items: list[Item]
    version: object | None  # ml.ModelVersion, or None for a fallback without a champion
    fallback: str = ""  # why a fallback served, "" when the list is the model's own


def champion_bundle():
    """The champion bundle as `ml.serving.Served` (raises AliasNotSet when there is none)."""
    from ml.serving import model_cache

    return model_cache.get(task=RECS_TASK, load=lambda path, version: Bundle.load(path))


def _champion_or_none():
    from ml.exceptions import AliasNotSet

    try:
        return champion_bundle()
    except AliasNotSet:
        return None


class _ProductSnapshot:
    """The products that may be shown (active, in stock) and their cards, by id; re-read at
    most every RULES_TTL_S seconds (one query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cards: dict[int, dict] = {}
        self._ids: frozenset[int] = frozenset()
        self._read_at = -RULES_TTL_S

    def cards(self) -> dict[int, dict]:
        with self._lock:
            if time.monotonic() - self._read_at >= RULES_TTL_S:
                self._cards = {
                    row["id"]: {
                        "id": row["id"],
                        "sku": row["sku"],
                        "title": row["title"],
                        # As the API's DecimalField renders it: a string, e.g. "20.00".
                        "price": str(row["price"]),
                        "currency": row["currency"],
                        "category": row["category__name"],
                    }
                    for row in shop_selectors.product_cards_available()
                }
                self._ids = frozenset(self._cards)
                self._read_at = time.monotonic()
            return self._cards

    def get(self) -> frozenset[int]:
        """Ids of the products that may be shown."""
        self.cards()
        return self._ids

    def clear(self) -> None:
        with self._lock:
            self._read_at = -RULES_TTL_S


available_products = _ProductSnapshot()


def business_rules(bundle: Bundle, *, just_bought: frozenset[int] = frozenset()) -> BusinessRules:
    """Rules over the bundle's item indices: available products only, category diversity."""
    catalogue = bundle.catalogue
    available = frozenset(catalogue.indices_of(sorted(available_products.get())))
    categories = {
        index: item.category for index, item in enumerate(catalogue.items) if item.category
    }
    return BusinessRules(
        in_stock=available,
        just_bought=just_bought,
        item_category=categories,
        max_per_category=MAX_PER_CATEGORY,
    )


def personal_recommendations(
    bundle: Bundle, history: list[int], k: int, rules: BusinessRules | None = None
) -> list[Recommendation]:
    """The "for you" list of a history (item indices), blended under the business rules
    (pass them when scoring many histories, so they are built once)."""
    return bundle.personal_blender(rules or business_rules(bundle)).recommend(history, k=k)


def _items(bundle: Bundle, recommended: list[Recommendation]) -> list[Item]:
    catalogue = bundle.catalogue
    return [
        Item(
            product_id=catalogue.product_id(r.item),
            score=float(r.score),
            reason=r.reason,
            anchor_id=catalogue.product_id(r.anchor) if r.anchor is not None else None,
        )
        for r in recommended
    ]


def _best_sellers(k: int, *, category_id: int | None = None, exclude=()) -> list[Item]:
    ids = shop_selectors.product_ids_best_selling(limit=k, category_id=category_id, exclude=exclude)
    return [Item(product_id=pid, score=0.0, reason="best_seller") for pid in ids]


def trending(k: int = 10, *, category_id: int | None = None) -> RecommendationList:
    """Trending products, optionally only in one category (and its subcategories)."""
    served = _champion_or_none()
    if served is None or not served.model.has("trending"):
        return RecommendationList(
            ListType.TRENDING,
            _best_sellers(k, category_id=category_id),
            None,
            "no trained model yet: best sellers",
        )
    bundle = served.model
    memo = bundle.__dict__.setdefault("memo", {})
    key = (ListType.TRENDING, category_id, k)
    found = memo.get(key)
    if found is None:
        found = _trending_compute(served, k + MEMO_SPARE, category_id)
        memo[key] = found
    available = available_products.get()
    items = [item for item in found.items if item.product_id in available][:k]
    return RecommendationList(found.list_type, items, found.version, found.fallback)


def _trending_compute(served, k: int, category_id: int | None) -> RecommendationList:
    bundle = served.model
    rules = business_rules(bundle)
    if category_id is not None:
        wanted = shop_selectors.category_descendant_ids(category_id=category_id) | {category_id}
        allowed = {i for i, item in enumerate(bundle.catalogue.items) if item.category_id in wanted}
        rules = BusinessRules(in_stock=frozenset(rules.in_stock or ()) & allowed)
    recommended = Blender([_source(bundle, "trending")], rules).recommend([], k=k)
    return RecommendationList(ListType.TRENDING, _items(bundle, recommended), served.version)


def _source(bundle: Bundle, name: str) -> BlendSource:
    return BlendSource(bundle.recommenders[name], candidates=max(100, len(bundle.catalogue)))


def for_you(
    k: int = 10, *, customer_id: int | None = None, session_id: str = ""
) -> RecommendationList:
    """A known customer's precomputed list (when the champion made it and there is no live
    session to add), else a list computed now from the customer's and/or session's history;
    trending when there is no history at all."""
    served = _champion_or_none()
    if served is None:
        return RecommendationList(
            ListType.FOR_YOU, _best_sellers(k), None, "no trained model yet: best sellers"
        )
    bundle = served.model
    if customer_id is not None and not session_id:
        stored = personal_list_items(customer_id=customer_id, version_id=served.version.pk)
        if stored is not None:
            available = available_products.get()
            items = [
                Item(row["product"], row["score"], row["reason"], row.get("anchor"))
                for row in stored
                if row["product"] in available
            ][:k]
            if len(items) == k or len(items) == len(stored):
                return RecommendationList(ListType.FOR_YOU, items, served.version)
    history = shopper_history(
        catalogue=bundle.catalogue, customer_id=customer_id, session_id=session_id
    )
    if not history:
        fallback = trending(k)
        return RecommendationList(
            ListType.FOR_YOU, fallback.items, fallback.version, "no history yet: trending"
        )
    recommended = personal_recommendations(bundle, history, k)
    return RecommendationList(ListType.FOR_YOU, _items(bundle, recommended), served.version)


# Item lists are memoised per bundle with this many spare items, so that products going out
# of stock since the list was computed can be dropped at render time without recomputing.
MEMO_SPARE = 10
MEMO_MAX_ENTRIES = 50_000


def _item_list(list_type: str, names: tuple[str, ...], product_id: int, k: int):
    served = _champion_or_none()
    if served is None:
        return RecommendationList(
            list_type, _best_sellers(k, exclude=(product_id,)), None, "no trained model yet"
        )
    bundle = served.model
    memo = bundle.__dict__.setdefault("memo", {})
    key = (list_type, product_id, k)
    found = memo.get(key)
    if found is None:
        found = _item_list_compute(served, list_type, names, product_id, k + MEMO_SPARE)
        if len(memo) >= MEMO_MAX_ENTRIES:
            memo.clear()
        memo[key] = found
    available = available_products.get()
    items = [item for item in found.items if item.product_id in available][:k]
    return RecommendationList(found.list_type, items, found.version, found.fallback)


def _item_list_compute(served, list_type: str, names: tuple[str, ...], product_id: int, k: int):
    bundle = served.model
    index = bundle.catalogue.index_of(product_id)
    if index is None:
        fallback = trending(k)
        return RecommendationList(
            list_type,
            [item for item in fallback.items if item.product_id != product_id],
            served.version,
            "product not in the model yet: trending",
        )
    # A behaviour model knows nothing of a product nobody has touched yet (it would only
    # propose its popularity backfill); such a product is served by content alone.
    sources = [
        BlendSource(bundle.recommenders[name], weight=weight, candidates=50)
        for name, weight in zip(names, (1.0, 0.8), strict=False)
        if bundle.has(name) and (name == "content" or _has_evidence(bundle, name, index))
    ]
    if not sources:
        fallback = trending(k)
        return RecommendationList(
            list_type,
            [item for item in fallback.items if item.product_id != product_id],
            served.version,
            "no behaviour or text model for this product yet: trending",
        )
    recommended = Blender(sources, business_rules(bundle)).recommend([index], k=k)
    return RecommendationList(list_type, _items(bundle, recommended), served.version)


def _has_evidence(bundle: Bundle, name: str, index: int) -> bool:
    counts = bundle.recommenders[name].item_counts
    return counts is not None and index < len(counts) and counts[index] > 0


def similar(product_id: int, k: int = 10) -> RecommendationList:
    """Products like this one: viewed by the same shoppers, or with similar text."""
    return _item_list(ListType.SIMILAR, ("also_viewed", "content"), product_id, k)


def bought_together(product_id: int, k: int = 10) -> RecommendationList:
    """Products bought in the same orders as this one; similar items fill a short list."""
    return _item_list(ListType.BOUGHT_TOGETHER, ("bought_together", "content"), product_id, k)


def reason_text(item: Item, anchor_title: str | None, category: str) -> str:
    """The shopper-facing reason: "Because you viewed X", "Often bought with X", ..."""
    template = REASON_TEXTS.get(item.reason, "Recommended for you")
    if "{anchor}" in template and not anchor_title:
        return {"similar": "Similar to what you looked at"}.get(item.reason, "Recommended for you")
    if "{category}" in template and not category:
        return "Trending now"
    return template.format(anchor=anchor_title, category=category)


def render(found: RecommendationList) -> dict:
    """The list as the API shows it: product cards from the catalogue snapshot (no query),
    reasons in words, positions from 1. Products no longer shown (inactive, sold out, deleted)
    are left out."""
    cards = available_products.cards()
    titles = {
        pk: card["title"] for pk in {i.anchor_id for i in found.items} if (card := cards.get(pk))
    }
    missing = {i.anchor_id for i in found.items if i.anchor_id and i.anchor_id not in titles}
    if missing:  # an anchor the shopper saw that is now sold out: still name it
        titles |= {
            pk: product.title
            for pk, product in shop_selectors.products_by_ids(product_ids=missing).items()
        }
    items = []
    for item in found.items:
        card = cards.get(item.product_id)
        if card is None:
            continue
        items.append(
            {
                "position": len(items) + 1,
                "product": card,
                "score": round(item.score, 6),
                "reason": item.reason,
                "reason_text": reason_text(
                    item, titles.get(item.anchor_id), card["category"] or ""
                ),
                "anchor_product": item.anchor_id,
            }
        )
    version = found.version
    return {
        "list": found.list_type,
        "model_version": version.pk if version is not None else None,
        "model_version_label": str(version) if version is not None else None,
        "fallback": found.fallback,
        "items": items,
    }


def champion_version_id() -> int | None:
    """The id of the version serving now in this process (no query within the check
    interval of the model cache), or None without a champion."""
    served = _champion_or_none()
    return served.version.pk if served is not None else None
