"""Writes of the store. Importing lives in `shop.imports`, the demo store in `shop.demo`."""

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count
from django.utils import timezone
from rest_framework.authtoken.models import Token

from audit.services import product_changes_record
from config.cache import version_bump
from shop.api.authentication import hash_api_key
from shop.exceptions import DuplicateReview, ProductPriceChanged, ReviewNotAllowed
from shop.models import ApiKey, Customer, Event, Product, Review
from shop.selectors import CATALOGUE_CACHE_NAMESPACE, customer_has_bought_product

ProgressCallback = Callable[[float, str], None]


def catalogue_changed() -> None:
    """Products or categories changed: what the API cached from them is stale from now on (a
    new catalogue cache version, again after the transaction commits).

    Product and category saves and deletes call this through `shop.receivers`; every write
    that sends no signal (update(), bulk_create(), bulk_update()) calls it itself.
    """
    version_bump(CATALOGUE_CACHE_NAMESPACE)


def product_rating_aggregates_recompute(
    *,
    product_ids: Iterable[int] | None = None,
    progress: ProgressCallback | None = None,
    chunk_size: int = 500,
) -> int:
    """Recount reviews and average rating of the given products (all when None).

    Returns the number of changed rows.

    Writes `Product.review_count` and `Product.rating_average` in chunks, each chunk in its
    own transaction, reporting progress after each chunk; a chunk that changes products makes
    the catalogue's cached pages stale (`catalogue_changed`).
    """
    products = Product.objects.order_by("pk")
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    product_ids = list(products.values_list("pk", flat=True))
    total = len(product_ids)
    changed = 0
    for start in range(0, total, chunk_size):
        chunk = product_ids[start : start + chunk_size]
        with transaction.atomic():
            aggregates = {
                row["product_id"]: (row["n"], row["avg"])
                for row in Review.objects.filter(product_id__in=chunk)
                .values("product_id")
                .annotate(n=Count("id"), avg=Avg("rating"))
            }
            to_update = []
            for product in Product.objects.filter(pk__in=chunk).select_for_update():
                count, avg = aggregates.get(product.pk, (0, None))
                average = (
                    None
                    if avg is None
                    else Decimal(str(avg)).quantize(Decimal("0.01"), ROUND_HALF_UP)
                )
                if product.review_count != count or product.rating_average != average:
                    product.review_count = count
                    product.rating_average = average
                    to_update.append(product)
            Product.objects.bulk_update(to_update, ["review_count", "rating_average"])
            if to_update:
                catalogue_changed()
            changed += len(to_update)
        if progress:
            done = min(start + chunk_size, total)
            progress(100 * done / max(total, 1), f"{done}/{total} products checked")
    return changed


# --- Prices -----------------------------------------------------------------------------------


@transaction.atomic
def product_price_set(
    *, product_id: int, price: Decimal, expected_price: Decimal | None = None, user=None
) -> Product:
    """Set one product's price, recorded in the audit log as an import's price change is (one
    `product_change` entry with the price before and after, by `user`, else whoever the
    request or `acting_as` says acts).

    Locks the product's row. With `expected_price`, raises ProductPriceChanged when the price
    is no longer that (changed by someone else since the decision); raises ValidationError for
    a negative price or more than two decimals. Nothing is written when it raises; setting the
    price it already has writes nothing either.
    """
    if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
        raise ValidationError({"price": "The price must be a number, zero or more."})
    if price != price.quantize(Decimal("0.01")):
        raise ValidationError({"price": "The price has more than 2 decimal places."})
    product = Product.objects.select_for_update().get(pk=product_id)
    before = product.price
    if expected_price is not None and before != expected_price:
        raise ProductPriceChanged(
            f"The price of {product.sku} is {before}, not {expected_price}: it was changed "
            "since. Look again before deciding."
        )
    if before == price:
        return product
    product.price = price
    product.updated_at = timezone.now()
    # update() sends no signal, so the audit receiver stays out and the entry is written once,
    # here, naming the user.
    Product.objects.filter(pk=product.pk).update(price=price, updated_at=product.updated_at)
    catalogue_changed()
    product_changes_record(
        changes=[(product.pk, str(product), {"price": before}, {"price": price})], user=user
    )
    return product


# --- API keys -----------------------------------------------------------------------------

API_KEY_PREFIX_BYTES = 4  # 8 hex characters, shown in the admin to tell keys apart
API_KEY_SECRET_BYTES = 32


@transaction.atomic
def api_key_issue(*, name: str, scopes: Iterable[str], created_by) -> tuple[ApiKey, str]:
    """Create an API key and return it with its raw key, `<prefix>.<secret>`.

    The raw key is returned once and never stored: the row keeps only its prefix and the
    SHA-256 of the whole key (`shop.api.authentication.hash_api_key`). Writes one ApiKey row.
    Raises django.core.exceptions.ValidationError for an empty name or unknown/no scopes.
    """
    name = name.strip()
    scope_list = list(dict.fromkeys(scopes))
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the key a name."
    unknown = sorted(set(scope_list) - set(ApiKey.Scope.values))
    if unknown:
        errors["scopes"] = f"Unknown scope(s): {', '.join(unknown)}."
    elif not scope_list:
        errors["scopes"] = "Give the key at least one scope."
    if errors:
        raise ValidationError(errors)
    # A prefix collision is unlikely but possible; a fresh prefix is cheap, so try again.
    for _attempt in range(5):
        prefix = secrets.token_hex(API_KEY_PREFIX_BYTES)
        raw_key = f"{prefix}.{secrets.token_urlsafe(API_KEY_SECRET_BYTES)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    name=name,
                    prefix=prefix,
                    key_hash=hash_api_key(raw_key),
                    scopes=scope_list,
                    created_by=created_by if getattr(created_by, "pk", None) else None,
                )
        except IntegrityError:
            if not ApiKey.objects.filter(prefix=prefix).exists():
                raise
            continue
        return api_key, raw_key
    raise RuntimeError("Could not find a free API key prefix after 5 attempts.")


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Deactivate the key; requests made with it fail authentication from now on.

    Idempotent: revoking a revoked key changes nothing. Writes `ApiKey.is_active`.
    """
    from shop.api.authentication import api_key_cache_key

    ApiKey.objects.filter(pk=api_key.pk).update(is_active=False)
    cache.delete(api_key_cache_key(api_key.key_hash))
    api_key.is_active = False
    return api_key


# --- Customers' API tokens ------------------------------------------------------------------


def customer_token_issue(*, user) -> Token:
    """The user's API token, created on first use (get_or_create on the user's unique key)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


# --- Reviews ----------------------------------------------------------------------------------


@transaction.atomic
def review_create(
    *, customer: Customer, product_id: int, rating: int, title: str = "", text: str = ""
) -> Review:
    """Create the customer's review of a product they bought.

    Raises ReviewNotAllowed when the customer has no non-cancelled order with the product,
    DuplicateReview when they already reviewed it (the database's unique constraint decides,
    so two concurrent requests cannot both succeed). Writes one Review row; the product's
    denormalised rating aggregates are left to the `rating_aggregates` job. After commit,
    insights queues the review's sentiment scoring (see sentiment_score_unscored_on_commit).
    """
    # Imported here: insights builds on shop, so shop must import without it at load time.
    from insights.services.sentiment import sentiment_score_unscored_on_commit

    if not 1 <= rating <= 5:
        raise ValidationError({"rating": "The rating must be between 1 and 5."})
    if not customer_has_bought_product(customer=customer, product_id=product_id):
        raise ReviewNotAllowed("Only customers who bought this product can review it.")
    try:
        with transaction.atomic():
            review = Review.objects.create(
                product_id=product_id,
                customer=customer,
                rating=rating,
                title=title,
                text=text,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:
        if Review.objects.filter(product_id=product_id, customer=customer).exists():
            raise DuplicateReview("You have already reviewed this product.") from exc
        raise
    sentiment_score_unscored_on_commit()
    return review


# --- Behaviour events ---------------------------------------------------------------------


@dataclass(frozen=True)
class EventData:
    """One validated event whose product and customer references are resolved to ids."""

    kind: str
    occurred_at: datetime
    product_id: int | None = None
    customer_id: int | None = None
    session_id: str = ""
    query: str = ""
    source: str = "web"


def event_create_batch(*, events: Sequence[EventData]) -> list[Event]:
    """Insert the events with one bulk insert inside one transaction: all of them or none.

    On PostgreSQL, when this call owns the transaction and `EVENTS_ASYNC_COMMIT` is on (off by
    default), the commit does not wait for the write-ahead log to reach the disk
    (`synchronous_commit` off for this transaction only). The events are visible to every
    reader at once, as before; a crash of the database server itself (not of the web process)
    can lose the batches of its last fraction of a second (at most three times
    `wal_writer_delay`, 0.6 s by default). Nothing else commits that way: inside a caller's
    transaction the caller's durability holds.
    """
    owns_transaction = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if owns_transaction and settings.EVENTS_ASYNC_COMMIT and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        return Event.objects.bulk_create(
            [
                Event(
                    kind=event.kind,
                    occurred_at=event.occurred_at,
                    product_id=event.product_id,
                    customer_id=event.customer_id,
                    session_id=event.session_id,
                    query=event.query,
                    source=event.source,
                )
                for event in events
            ],
            batch_size=500,
        )
