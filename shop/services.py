"""Writes of the store. Importing lives in `shop.imports`, the demo store in `shop.demo`."""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count

from shop.models import Product

ProgressCallback = Callable[[float, str], None]


def product_rating_aggregates_recompute(
    *, progress: ProgressCallback | None = None, chunk_size: int = 500
) -> int:
    """Recount every product's reviews and average rating; returns the number of changed rows.

    Writes `Product.review_count` and `Product.rating_average` in chunks, each chunk in its
    own transaction, reporting progress after each chunk.
    """
    product_ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    total = len(product_ids)
    changed = 0
    for start in range(0, total, chunk_size):
        chunk = product_ids[start : start + chunk_size]
        with transaction.atomic():
            rows = (
                Product.objects.filter(pk__in=chunk)
                .select_for_update()
                .annotate(n=Count("reviews"), avg=Avg("reviews__rating"))
            )
            to_update = []
            for product in rows:
                average = (
                    None
                    if product.avg is None
                    else Decimal(str(product.avg)).quantize(Decimal("0.01"), ROUND_HALF_UP)
                )
                if product.review_count != product.n or product.rating_average != average:
                    product.review_count = product.n
                    product.rating_average = average
                    to_update.append(product)
            Product.objects.bulk_update(to_update, ["review_count", "rating_average"])
            changed += len(to_update)
        if progress:
            done = min(start + chunk_size, total)
            progress(100 * done / max(total, 1), f"{done}/{total} products checked")
    return changed
