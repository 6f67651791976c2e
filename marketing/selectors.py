"""Reads of marketing: running campaigns, the copy checks' inputs, the storefront's choice of an
ad variant, and the campaign report (conversions attributed from the order tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from marketing import bandit
from marketing.copy_checks import CheckConfig, Limits
from marketing.models import AdCopy, AdEvent, BrandVoice, Campaign, ChannelLimit
from shop import selectors as shop_selectors

# A conversion is a sold order of the ad's product by the clicking customer within this window
# after the click.
CONVERSION_WINDOW = timedelta(days=7)
# The bandit's counts per placement are cached this long: a storefront asks many times a
# second, and the counts move slowly.
ARM_STATS_CACHE_SECONDS = 60
CREDIBLE_LEVEL = 0.95


def campaign_get(*, campaign_id: int) -> Campaign | None:
    return Campaign.objects.filter(pk=campaign_id).first()


def campaign_list_running(*, on: date) -> QuerySet[Campaign]:
    """Campaigns whose period holds the day `on` (both ends included), ending soonest first
    (the `campaign_period` index)."""
    return (
        Campaign.objects.select_related("target_category")
        .filter(starts_on__lte=on, ends_on__gte=on)
        .order_by("ends_on", "pk")
    )


# --- inputs of the copy checks -----------------------------------------------------------------


def brand_voice_active() -> BrandVoice | None:
    return BrandVoice.objects.filter(is_active=True).first()


def channel_limits(*, channel: str) -> Limits:
    """The channel's limits; no limits when the channel has no row."""
    row = ChannelLimit.objects.filter(channel=channel).first()
    if row is None:
        return Limits()
    return Limits(
        headline=row.headline_max, body=row.body_max, call_to_action=row.call_to_action_max
    )


def copy_check_config(*, channel: str, repair: bool) -> CheckConfig:
    """The channel's limits and the active brand voice's words to avoid."""
    voice = brand_voice_active()
    return CheckConfig(
        limits=channel_limits(channel=channel),
        words_to_avoid=tuple(voice.words_to_avoid) if voice is not None else (),
        repair=repair,
    )


def product_facts(*, product_id: int | None) -> str:
    """What copy about the product may state: title, category, price, attributes and
    description, as one text. Empty without a product (copy about a campaign may then state no
    number and no claim)."""
    if product_id is None:
        return ""
    product = shop_selectors.products_by_ids(product_ids=[product_id]).get(product_id)
    if product is None:
        return ""
    lines = [product.title, f"Price: {product.price} {product.currency}"]
    if product.category is not None:
        lines.append(f"Category: {product.category.name}")
    for key, value in sorted((product.attributes or {}).items()):
        lines.append(f"{key}: {value}")
    if product.description:
        lines.append(product.description)
    return "\n".join(lines)


# --- conversions --------------------------------------------------------------------------------


def _sold_items():
    # Order rows are read here directly (as recommendations.selectors does): attribution joins
    # them with ad events in one query, which shop's selectors cannot express.
    from shop.models import OrderItem

    return OrderItem.objects.filter(
        order__status__in=shop_selectors.SOLD_STATUSES,
        order__customer__isnull=False,
        quantity__gt=0,
    )


def variant_conversions(
    *, variant_ids: list[int], window: timedelta = CONVERSION_WINDOW
) -> dict[int, dict]:
    """{variant id: {"conversions": orders, "revenue": Decimal}} by last click.

    An order converts for a variant when the order's customer clicked an ad for one of the
    order's products within `window` before the order; with several such clicks the latest
    takes the order (each order counts once, for one variant). Revenue is the order's lines of
    that product. Cancelled, returned and pending orders do not count. One query.
    """
    if not variant_ids:
        return {}
    last_click = (
        AdEvent.objects.filter(
            kind=AdEvent.Kind.CLICK,
            customer_id=OuterRef("order__customer_id"),
            product_id=OuterRef("product_id"),
            occurred_at__lte=OuterRef("order__placed_at"),
            occurred_at__gte=OuterRef("order__placed_at") - window,
        )
        .order_by("-occurred_at", "-pk")
        .values("variant_id")[:1]
    )
    clicked_products = AdEvent.objects.filter(
        kind=AdEvent.Kind.CLICK, variant_id__in=variant_ids
    ).values("product_id")
    rows = (
        _sold_items()
        .filter(product_id__in=clicked_products)
        .annotate(attributed_variant=Subquery(last_click))
        .filter(attributed_variant__in=variant_ids)
        .values("attributed_variant")
        .annotate(
            conversions=Count("order", distinct=True),
            revenue=Sum(F("quantity") * F("unit_price")),
        )
        .order_by()
    )
    return {
        row["attributed_variant"]: {"conversions": row["conversions"], "revenue": row["revenue"]}
        for row in rows
    }


def variant_counts(*, variant_ids: list[int]) -> dict[int, dict]:
    """{variant id: {"impressions": n, "clicks": n}}. One query (the adevent_variant_kind index)."""
    rows = (
        AdEvent.objects.filter(variant_id__in=variant_ids)
        .values("variant_id")
        .annotate(
            impressions=Count("pk", filter=Q(kind=AdEvent.Kind.IMPRESSION)),
            clicks=Count("pk", filter=Q(kind=AdEvent.Kind.CLICK)),
        )
        .order_by()
    )
    return {row["variant_id"]: row for row in rows}


def variant_arm_stats(*, variant_ids: list[int]) -> dict[int, bandit.ArmStats]:
    """Impressions and attributed conversions of each variant, for the bandit. Two queries."""
    counts = variant_counts(variant_ids=variant_ids)
    conversions = variant_conversions(variant_ids=variant_ids)
    return {
        pk: bandit.ArmStats(
            impressions=counts.get(pk, {}).get("impressions", 0),
            conversions=conversions.get(pk, {}).get("conversions", 0),
        )
        for pk in variant_ids
    }


# --- the storefront's choice --------------------------------------------------------------------


@dataclass(frozen=True)
class AdChoice:
    """What the storefront shows at a placement: a variant, the holdout of a campaign (show no
    ad), or nothing (no approved variant fits)."""

    placement: str
    product_id: int | None
    variant: AdCopy | None = None
    holdout_campaign: Campaign | None = None

    @property
    def served(self) -> str:
        if self.variant is not None:
            return "variant"
        return "holdout" if self.holdout_campaign is not None else "none"


def adcopy_candidates(*, placement: str, product_id: int | None, on: date) -> list[AdCopy]:
    """Approved variants at the placement of campaigns running on `on` that fit the product:
    copy written for the product, or copy about a campaign that targets the product (its target
    products, or else its target category, or else everything). Without a product, only copy
    about a campaign as a whole. Two queries (the adcopy_placement_status index)."""
    variants = (
        AdCopy.objects.select_related("campaign")
        .filter(
            placement=placement,
            status=AdCopy.Status.APPROVED,
            campaign__starts_on__lte=on,
            campaign__ends_on__gte=on,
        )
        .order_by("pk")
    )
    if product_id is None:
        return list(variants.filter(product__isnull=True))
    product = shop_selectors.products_by_ids(product_ids=[product_id]).get(product_id)
    category_ids = set()
    if product is not None and product.category_id is not None:
        category_ids = {product.category_id}
        if product.category.parent_id is not None:
            category_ids.add(product.category.parent_id)
    targets_product = Campaign.target_products.through.objects.filter(
        campaign_id=OuterRef("campaign_id"), product_id=product_id
    )
    has_targets = Campaign.target_products.through.objects.filter(
        campaign_id=OuterRef("campaign_id")
    )
    campaign_fits = Exists(targets_product) | (
        ~Exists(has_targets)
        & (
            Q(campaign__target_category__isnull=True)
            | Q(campaign__target_category__in=category_ids)
        )
    )
    return list(
        variants.filter(Q(product_id=product_id) | (Q(product__isnull=True) & campaign_fits))
    )


def _cached_arm_stats(placement: str, variant_ids: list[int]) -> dict[int, bandit.ArmStats]:
    key = f"ads:arms:{placement}"
    cached = cache.get(key) or {}
    if set(variant_ids) <= set(cached):
        return cached
    # Other products' variants at the placement stay in the cache with these.
    stats = variant_arm_stats(variant_ids=sorted(set(variant_ids) | set(cached)))
    cache.set(key, stats, ARM_STATS_CACHE_SECONDS)
    return stats


def shopper_unit(*, customer_id: int | None, session_id: str) -> str:
    """The unit a shopper is held out by: the customer where known, else the session."""
    return f"customer:{customer_id}" if customer_id is not None else f"session:{session_id}"


def ad_choose(
    *,
    placement: str,
    product_id: int | None,
    customer_id: int | None,
    session_id: str,
    rng: np.random.Generator | None = None,
) -> AdChoice:
    """One approved variant for the placement by Thompson sampling on conversions per
    impression, or the holdout when the shopper is in the chosen variant's campaign's holdout
    (deterministic per shopper and campaign), or nothing."""
    candidates = adcopy_candidates(
        placement=placement, product_id=product_id, on=timezone.localdate()
    )
    if not candidates:
        return AdChoice(placement=placement, product_id=product_id)
    stats = _cached_arm_stats(placement, [v.pk for v in candidates])
    arms = [stats.get(v.pk, bandit.ArmStats(0, 0)) for v in candidates]
    chosen = candidates[bandit.thompson_choose(arms, rng=rng or np.random.default_rng())]
    campaign = chosen.campaign
    unit = shopper_unit(customer_id=customer_id, session_id=session_id)
    if bandit.in_holdout(
        share=float(campaign.holdout_share), unit=unit, salt=f"campaign:{campaign.pk}"
    ):
        return AdChoice(placement=placement, product_id=product_id, holdout_campaign=campaign)
    return AdChoice(placement=placement, product_id=product_id, variant=chosen)


# --- the campaign report --------------------------------------------------------------------------


def holdout_comparison(*, campaign_id: int, window: timedelta = CONVERSION_WINDOW) -> dict:
    """Shoppers (customers) exposed to the campaign's ads and to its holdout, and how many of
    each bought the product they were shown within `window` after an exposure. The holdout saw
    no ad, so clicks cannot be compared: both arms are counted by exposure. One query."""
    ordered = _sold_items().filter(
        product_id=OuterRef("product_id"),
        order__customer_id=OuterRef("customer_id"),
        order__placed_at__gte=OuterRef("occurred_at"),
        order__placed_at__lte=OuterRef("occurred_at") + window,
    )
    rows = (
        AdEvent.objects.filter(
            campaign_id=campaign_id,
            kind=AdEvent.Kind.IMPRESSION,
            customer__isnull=False,
            product__isnull=False,
        )
        .annotate(ordered=Exists(ordered))
        .values("is_holdout")
        .annotate(
            shoppers=Count("customer", distinct=True),
            converted=Count("customer", distinct=True, filter=Q(ordered=True)),
        )
        .order_by()
    )
    arms = {"ads": {"shoppers": 0, "converted": 0}, "holdout": {"shoppers": 0, "converted": 0}}
    for row in rows:
        arm = arms["holdout" if row["is_holdout"] else "ads"]
        arm["shoppers"], arm["converted"] = row["shoppers"], row["converted"]
    return arms


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def campaign_report(*, campaign: Campaign) -> dict:
    """Per variant: impressions, clicks, CTR, conversions (last click within the window),
    revenue, conversion rate per impression with its 95% credible interval and the probability
    that the variant converts best; and the lift of the ads over the holdout, with its interval.
    Five queries."""
    variants = list(
        AdCopy.objects.filter(campaign=campaign).select_related("product").order_by("pk")
    )
    ids = [v.pk for v in variants]
    counts = variant_counts(variant_ids=ids)
    conversions = variant_conversions(variant_ids=ids)
    arms = []
    rows = []
    for variant in variants:
        impressions = counts.get(variant.pk, {}).get("impressions", 0)
        clicks = counts.get(variant.pk, {}).get("clicks", 0)
        converted = conversions.get(variant.pk, {})
        n_conversions = converted.get("conversions", 0)
        low, high = bandit.conversion_interval(
            conversions=n_conversions, impressions=impressions, level=CREDIBLE_LEVEL
        )
        arms.append(bandit.ArmStats(impressions, n_conversions))
        rows.append(
            {
                "variant": variant.pk,
                "headline": variant.headline,
                "status": variant.status,
                "placement": variant.placement,
                "product": variant.product_id,
                "impressions": impressions,
                "clicks": clicks,
                "ctr": _rate(clicks, impressions),
                "conversions": n_conversions,
                "revenue": converted.get("revenue") or 0,
                "conversion_rate": _rate(n_conversions, impressions),
                "conversion_rate_low": round(low, 6),
                "conversion_rate_high": round(high, 6),
            }
        )
    live = [i for i, v in enumerate(variants) if arms[i].impressions]
    best = bandit.probability_best([arms[i] for i in live], rng=np.random.default_rng(0))
    for row in rows:
        row["probability_best"] = None
    for i, probability in zip(live, best, strict=True):
        rows[i]["probability_best"] = round(probability, 4)
    holdout = holdout_comparison(campaign_id=campaign.pk)
    ads, control = holdout["ads"], holdout["holdout"]
    lift = None
    if ads["shoppers"] and control["shoppers"]:
        found = bandit.lift_interval(
            bandit.ArmStats(ads["shoppers"], ads["converted"]),
            bandit.ArmStats(control["shoppers"], control["converted"]),
            level=CREDIBLE_LEVEL,
            rng=np.random.default_rng(0),
        )
        lift = {
            "mean": round(found.mean, 4),
            "low": round(found.low, 4),
            "high": round(found.high, 4),
            "probability_positive": round(found.probability_positive, 4),
        }
    return {
        "campaign": campaign.pk,
        "name": campaign.name,
        "holdout_share": float(campaign.holdout_share),
        "conversion_window_days": CONVERSION_WINDOW.days,
        "credible_level": CREDIBLE_LEVEL,
        "variants": rows,
        "holdout": {
            "ads_shoppers": ads["shoppers"],
            "ads_converted": ads["converted"],
            "ads_conversion_rate": _rate(ads["converted"], ads["shoppers"]),
            "holdout_shoppers": control["shoppers"],
            "holdout_converted": control["converted"],
            "holdout_conversion_rate": _rate(control["converted"], control["shoppers"]),
            "lift": lift,
        },
    }
