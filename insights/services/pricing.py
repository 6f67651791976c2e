"""Writes of price suggestions: the recompute that proposes prices, and the approval or
rejection by a person.

The pure work lives in `insights.forecast_engine.pricing` (log-log elasticity with product
fixed effects, bounded and margin-floored suggestions with their expected effect). Here the
weekly units and mean price paid of every product are read through the selectors (sold order
items, whole weeks), the elasticity of each product is estimated on its own price changes
when it has at least `INSIGHTS_PRICE_MIN_CHANGES` of them, else on its category's products
pooled, and a price is proposed for every active product with a unit cost.

Nothing here changes a price on its own: the recompute only writes proposals, and
`price_suggestion_approve`, called for a person, sets the price through
`shop.services.product_price_set` (which records the change in the audit log).

What the estimate cannot tell apart: a campaign that discounts a category also brings it
traffic, so a history whose price changes are mostly campaigns attributes the campaign's
extra visits to the price, and reads demand as more elastic than it is.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insights.exceptions import PriceSuggestionNotFound, PriceSuggestionNotOpen
from insights.forecast_engine.pricing import Elasticity, estimate_elasticity, suggest_price
from insights.models import PriceSuggestion
from insights.selectors import pricing as selectors
from insights.selectors.pricing import WeekSales
from insights.services.forecasts import last_complete_day
from ml import services as ml_services
from ml.models import Job
from shop import selectors as shop_selectors
from shop import services as shop_services

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]

_CENT = Decimal("0.01")
#: Week-to-week moves of the mean price paid smaller than this are rounding or a few
#: discounted items among many, not a price change.
PRICE_CHANGE_TOLERANCE = 0.01
MIN_WEEKS = 4

SKIP_INACTIVE = "inactive"
SKIP_NO_COST = "no unit cost"
SKIP_NO_PRICE = "no price (zero)"
SKIP_NO_VARIATION = "no price variation (neither its own nor its category's)"
SKIP_NO_CHANGE = "price kept (demand not clearly elastic, margin above the floor)"
SKIP_REASONS = (SKIP_NO_COST, SKIP_NO_VARIATION, SKIP_NO_CHANGE, SKIP_NO_PRICE, SKIP_INACTIVE)


def _no_progress(percent: float, message: str = "") -> None:
    return None


@dataclass(frozen=True)
class PriceSuggestionRun:
    """What one recompute did: proposals written, open ones replaced, and the products it
    read sales of but proposed nothing for, by reason (product ids)."""

    as_of: date
    weeks: int
    products_sold: int
    proposed: int
    replaced: int
    skipped: dict[str, list[int]] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [
            f"{self.proposed} price(s) proposed for the {self.products_sold} product(s) sold in "
            f"the {self.weeks} weeks to {self.as_of}",
            f"{self.replaced} open proposal(s) replaced",
        ]
        parts += [f"{len(ids)} skipped: {reason}" for reason, ids in self.skipped.items() if ids]
        return "; ".join(parts) + "."


def price_changes(prices: list[float]) -> int:
    """Week-to-week moves of the mean price paid by more than PRICE_CHANGE_TOLERANCE."""
    return sum(
        1
        for before, after in zip(prices, prices[1:], strict=False)
        if abs(after / before - 1) > PRICE_CHANGE_TOLERANCE
    )


def _estimate(rows: list[WeekSales]) -> Elasticity | None:
    return estimate_elasticity([(row.product_id, row.price, row.units) for row in rows])


def _ratio_range(changes: tuple[float, float, float]) -> tuple[float, float, float]:
    return tuple(1 + change for change in changes)  # type: ignore[return-value]


def price_suggestions_recompute(
    *,
    as_of: date | None = None,
    weeks: int | None = None,
    max_change: float | None = None,
    margin_floor: float | None = None,
    job_id: int | None = None,
    progress: ProgressCallback | None = None,
) -> PriceSuggestionRun:
    """Propose a price for every active product with a unit cost that sold in the `weeks`
    whole weeks (default INSIGHTS_PRICE_HISTORY_WEEKS) up to `as_of` (default today).

    Per product: elasticity from its own weekly (mean price paid, units) when it has at least
    INSIGHTS_PRICE_MIN_CHANGES price changes, else from its category's products pooled (each
    with its own level); `suggest_price` with `max_change` and `margin_floor` (defaults
    INSIGHTS_PRICE_MAX_CHANGE and INSIGHTS_PRICE_MARGIN_FLOOR) against its units per week
    since its first sale in the window. Products without a cost, without price variation or
    whose suggested price is their price get no proposal (counted by reason).

    Writes, in one transaction: deletes every open (proposed) suggestion and inserts the new
    ones (approved and rejected ones stay). Changes no price. Raises ValueError for fewer than
    MIN_WEEKS weeks or guard rails outside the engine's ranges; nothing is written then.
    Reports progress outside the transaction; `progress` raises JobCancelled on cancel.
    """
    progress = progress or _no_progress
    as_of = as_of or timezone.localdate()
    weeks = settings.INSIGHTS_PRICE_HISTORY_WEEKS if weeks is None else weeks
    max_change = settings.INSIGHTS_PRICE_MAX_CHANGE if max_change is None else max_change
    margin_floor = settings.INSIGHTS_PRICE_MARGIN_FLOOR if margin_floor is None else margin_floor
    if weeks < MIN_WEEKS:
        raise ValueError(f"At least {MIN_WEEKS} weeks of history are needed, not {weeks}.")
    if not 0 < max_change < 1 or not 0 <= margin_floor < 1:
        raise ValueError("The maximum change must be in (0, 1) and the margin floor in [0, 1).")

    end = timezone.make_aware(
        datetime.combine(last_complete_day(as_of, "W") + timedelta(days=1), time.min)
    )
    start = end - timedelta(weeks=weeks)
    progress(1, f"Reading weekly sales from {start.date()} to {end.date()}")
    sales = selectors.weekly_sales(start=start, end=end)
    by_product: dict[int, list[WeekSales]] = defaultdict(list)
    by_category: dict[int, list[WeekSales]] = defaultdict(list)
    for row in sales:
        by_product[row.product_id].append(row)
        if row.category_id is not None:
            by_category[row.category_id].append(row)
    products = shop_selectors.products_by_ids(product_ids=by_product)
    progress(10, f"Estimating elasticities for {len(by_product)} products")

    pooled: dict[int, Elasticity | None] = {}
    skipped: dict[str, list[int]] = {reason: [] for reason in SKIP_REASONS}
    proposals: list[PriceSuggestion] = []
    now = timezone.now()
    for done, product_id in enumerate(sorted(by_product)):
        product = products[product_id]
        rows = by_product[product_id]
        if not product.is_active:
            skipped[SKIP_INACTIVE].append(product_id)
            continue
        if product.unit_cost is None:
            skipped[SKIP_NO_COST].append(product_id)
            continue
        if product.price <= 0:
            skipped[SKIP_NO_PRICE].append(product_id)
            continue
        elasticity, scope = None, PriceSuggestion.Scope.PRODUCT
        if price_changes([row.price for row in rows]) >= settings.INSIGHTS_PRICE_MIN_CHANGES:
            elasticity = _estimate(rows)
        if elasticity is None and product.category_id is not None:
            category = product.category_id
            if category not in pooled:
                pooled[category] = _estimate(by_category[category])
            elasticity, scope = pooled[category], PriceSuggestion.Scope.CATEGORY
        if elasticity is None:
            skipped[SKIP_NO_VARIATION].append(product_id)
            continue
        weeks_selling = max(1, (end.date() - rows[0].week).days // 7)
        per_week = sum(row.units for row in rows) / weeks_selling
        suggestion = suggest_price(
            price=float(product.price),
            unit_cost=float(product.unit_cost),
            quantity_per_period=per_week,
            elasticity=elasticity,
            max_change=max_change,
            margin_floor=margin_floor,
        )
        suggested = Decimal(str(suggestion.suggested_price)).quantize(_CENT, ROUND_HALF_UP)
        if suggested == product.price:
            skipped[SKIP_NO_CHANGE].append(product_id)
            continue
        proposals.append(
            _proposal(
                product=product,
                suggested=suggested,
                suggestion=suggestion,
                elasticity=elasticity,
                scope=scope,
                per_week=per_week,
                job_id=job_id,
                now=now,
            )
        )
        if done % 200 == 199:
            progress(10 + 80 * done / len(by_product), f"{done + 1}/{len(by_product)} products")
    progress(92, f"Saving {len(proposals)} proposals")
    replaced = _proposals_replace(proposals)
    run = PriceSuggestionRun(
        as_of=as_of,
        weeks=weeks,
        products_sold=len(by_product),
        proposed=len(proposals),
        replaced=replaced,
        skipped={reason: ids for reason, ids in skipped.items() if ids},
    )
    logger.info("Price suggestions: %s", run.summary())
    progress(100, run.summary())
    return run


def _proposal(
    *, product, suggested, suggestion, elasticity, scope, per_week, job_id, now
) -> PriceSuggestion:
    quantity = _ratio_range(suggestion.quantity_change)
    revenue = _ratio_range(suggestion.revenue_change)
    profit = suggestion.profit_change
    profit_now = (float(product.price) - float(product.unit_cost)) * per_week
    profit_ratio = (
        tuple(1 + change / profit_now for change in profit) if profit_now > 0 else (None,) * 3
    )
    return PriceSuggestion(
        product=product,
        current_price=product.price,
        suggested_price=suggested,
        unit_cost=product.unit_cost,
        reason=suggestion.reason[:255],
        elasticity=elasticity.elasticity,
        elasticity_se=elasticity.standard_error,
        scope=scope,
        scope_category_id=product.category_id if scope == PriceSuggestion.Scope.CATEGORY else None,
        observations=elasticity.observations,
        products_pooled=elasticity.products,
        quantity_per_week=per_week,
        quantity_ratio_low=quantity[0],
        quantity_ratio=quantity[1],
        quantity_ratio_high=quantity[2],
        revenue_ratio_low=revenue[0],
        revenue_ratio=revenue[1],
        revenue_ratio_high=revenue[2],
        profit_ratio_low=profit_ratio[0],
        profit_ratio=profit_ratio[1],
        profit_ratio_high=profit_ratio[2],
        profit_change_per_week_low=profit[0],
        profit_change_per_week=profit[1],
        profit_change_per_week_high=profit[2],
        job_id=job_id,
        created_at=now,
    )


@transaction.atomic
def _proposals_replace(proposals: list[PriceSuggestion]) -> int:
    replaced, _ = PriceSuggestion.objects.filter(status=PriceSuggestion.Status.PROPOSED).delete()
    PriceSuggestion.objects.bulk_create(proposals, batch_size=1000)
    return replaced


# --- decisions ----------------------------------------------------------------------------


def _open_for_update(suggestion_id: int) -> PriceSuggestion:
    suggestion = (
        PriceSuggestion.objects.select_for_update()
        .select_related("product")
        .filter(pk=suggestion_id)
    ).first()
    if suggestion is None:
        raise PriceSuggestionNotFound(
            "No such price suggestion (a recompute replaces the open ones)."
        )
    if suggestion.status != PriceSuggestion.Status.PROPOSED:
        raise PriceSuggestionNotOpen(
            f"This suggestion was already {suggestion.get_status_display().lower()}."
        )
    return suggestion


def _person(user) -> None:
    if not getattr(user, "pk", None) or not getattr(user, "is_authenticated", False):
        raise ValueError("A price suggestion is decided by a person: give the user deciding.")


@transaction.atomic
def price_suggestion_approve(*, suggestion_id: int, user) -> PriceSuggestion:
    """Approve an open proposal: set the product's price to the suggested one and mark the
    proposal approved by `user` now.

    The price is set by `shop.services.product_price_set`, which locks the product, refuses
    (ProductPriceChanged) when the price is no longer the one proposed against, and records a
    `product_change` audit entry by `user`. Locks the proposal. Raises PriceSuggestionNotFound,
    PriceSuggestionNotOpen (already decided), ValueError without a user; nothing is written
    when it raises.
    """
    _person(user)
    suggestion = _open_for_update(suggestion_id)
    shop_services.product_price_set(
        product_id=suggestion.product_id,
        price=suggestion.suggested_price,
        expected_price=suggestion.current_price,
        user=user,
    )
    return _decide(suggestion, PriceSuggestion.Status.APPROVED, user)


@transaction.atomic
def price_suggestion_reject(*, suggestion_id: int, user) -> PriceSuggestion:
    """Turn an open proposal down: marks it rejected by `user` now; the price stays. Raises
    like `price_suggestion_approve`."""
    _person(user)
    suggestion = _open_for_update(suggestion_id)
    return _decide(suggestion, PriceSuggestion.Status.REJECTED, user)


def _decide(suggestion: PriceSuggestion, status: str, user) -> PriceSuggestion:
    suggestion.status = status
    suggestion.decided_by = user
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


# --- jobs ---------------------------------------------------------------------------------


def price_suggestions_submit(*, user=None, params: dict | None = None) -> Job:
    """Queue a `price_suggestions` job (enqueued after commit); returns it. A job of that kind
    already waiting in the queue is returned instead of a second one."""
    queued = selectors.price_suggestions_job_queued()
    if queued is not None:
        return queued
    return ml_services.job_submit(
        kind=selectors.PRICE_JOB_KIND, params=params or {}, created_by=user
    )
