"""Reads of marketing: running campaigns, the copy checks' inputs, the storefront's choice of an
ad variant, and the campaign report (conversions attributed from the order tables)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Trunc
from django.utils import timezone

from config.cache import versions
from marketing import bandit
from marketing.copy_checks import DEFAULT_CLAIM_PHRASES, CheckConfig, Limits, Variant
from marketing.copy_generation import Example, ProductFacts, Voice, instructions
from marketing.models import AdCopy, AdEvent, BrandVoice, Campaign, ChannelLimit
from shop import selectors as shop_selectors

# A conversion is a sold order of the ad's product by the clicking customer within this window
# after the click.
CONVERSION_WINDOW = timedelta(days=7)
# The bandit's counts per placement are cached this long: a storefront asks many times a
# second, and the counts move slowly.
ARM_STATS_CACHE_SECONDS = 60
# Cache namespace of the variants on offer (`marketing.services.ads_changed` starts a new
# version). The variants that fit a product at a placement on a day are kept this long at most:
# any change to variants, campaigns, products or categories makes them stale at once (their key
# holds both versions); the limit only bounds what a per-process cache (the development
# default) can miss of another process's change.
ADS_CACHE_NAMESPACE = "ads"
CANDIDATES_CACHE_SECONDS = 300
# The conversion delay is re-estimated this often (it changes only as clicks' windows close),
# from at most this many of the latest conversions.
DELAY_CACHE_SECONDS = 3600
CONVERSION_DELAY_ROWS = 5000
CREDIBLE_LEVEL = 0.95
# A variant is declared the winner once it converts best with at least this probability; then
# campaigns with `pause_losers` pause their other approved variants.
WINNER_PROBABILITY = 0.95


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
    """The channel's limits, the active brand voice's words to avoid, the generator's
    instructions (copy that repeats them is leaking the prompt), and the claims copy may make
    only when the facts do: the default claim phrases and the names of the store's categories
    (a blouse's ad that says "our jeans edit" names what the product is not)."""
    guide = brand_voice_guide()
    limits = channel_limits(channel=channel)
    return CheckConfig(
        limits=limits,
        words_to_avoid=guide.words_to_avoid,
        claim_phrases=DEFAULT_CLAIM_PHRASES + tuple(shop_selectors.category_names()),
        repair=repair,
        instructions=instructions(guide, limits),
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
        parent = product.category.parent
        lines.append(f"Category: {f'{parent.name} > ' if parent else ''}{product.category.name}")
    for key, value in sorted((product.attributes or {}).items()):
        lines.append(f"{key}: {value}")
    if product.description:
        lines.append(product.description)
    return "\n".join(lines)


def campaign_offer(*, campaign: Campaign) -> str:
    """The campaign's offer as a fact copy may state ("20% off"), or "" without a discount."""
    return f"{campaign.discount_percent}% off" if campaign.discount_percent else ""


def copy_facts(*, product_id: int | None, campaign: Campaign) -> str:
    """What a variant of the campaign may state: its product's facts (for copy about the
    campaign itself, the campaign's name and target category, which its prompt names) and the
    campaign's offer (so "20% off" passes in a campaign that gives 20% off, and nowhere else)."""
    if product_id is not None:
        facts = product_facts(product_id=product_id)
    else:
        category = campaign.target_category
        facts = "\n".join([campaign.name, *([f"Category: {category.name}"] if category else [])])
    offer = campaign_offer(campaign=campaign)
    return "\n".join(part for part in (facts, f"Offer: {offer}" if offer else "") if part)


# --- inputs of the generator ---------------------------------------------------------------

# Aspects praised by reviews enter the facts when at least this many reviews praise them and
# praise outnumbers complaint; the top few, most praised first.
LIKED_ASPECT_MIN_POSITIVE = 2
LIKED_ASPECTS = 3
# Products one generation of a campaign writes for, at most (its target products, or else the
# best stocked of its target category).
CAMPAIGN_PRODUCTS_MAX = 20


# Attributes that describe the record, not the product (ids, where the row came from).
_TECHNICAL_ATTRIBUTE = re.compile(r"(^|_)(id|source|sku)$", re.IGNORECASE)


def product_liked_aspects(*, product_id: int) -> tuple[str, ...]:
    """The aspects reviews of the product praise most (insights' aspect opinions); empty when
    it has none. One query."""
    from insights import selectors as insights_selectors

    rows = insights_selectors.aspects.aspect_breakdown(product_id=product_id)
    liked = [
        row
        for row in rows
        if row["positive"] >= LIKED_ASPECT_MIN_POSITIVE and row["positive"] > row["negative"]
    ]
    liked.sort(key=lambda row: (-row["positive"], row["aspect"]))
    return tuple(row["aspect"] for row in liked[:LIKED_ASPECTS])


def product_copy_facts(*, product_id: int, offer: str = "") -> ProductFacts | None:
    """What copy about the product may state, for the generator's prompt: title, category,
    price, attributes, the aspects reviews praise, and the campaign's `offer` if any. None for
    an unknown product."""
    product = shop_selectors.products_by_ids(product_ids=[product_id]).get(product_id)
    if product is None:
        return None
    return ProductFacts(
        title=product.title,
        category=product.category.name if product.category is not None else "",
        price=f"{product.price} {product.currency}",
        attributes=tuple(
            (str(key), str(value))
            for key, value in sorted((product.attributes or {}).items())
            if not _TECHNICAL_ATTRIBUTE.search(str(key))
        ),
        liked_aspects=product_liked_aspects(product_id=product_id),
        offer=offer,
    )


def brand_voice_guide() -> Voice:
    """The active brand voice as the prompt states it (an empty one when none is active)."""
    voice = brand_voice_active()
    if voice is None:
        return Voice()
    return Voice(
        tone_words=tuple(str(w) for w in voice.tone_words or ()),
        words_to_avoid=tuple(str(w) for w in voice.words_to_avoid or ()),
    )


def approved_copy_with_facts(
    *,
    channel: str | None = None,
    prefer_channel: str | None = None,
    exclude_product_id: int | None = None,
    offer_last: bool = False,
    limit: int = 3,
) -> list[Example]:
    """Approved variants written for a product, with their product's facts and their
    campaign's offer (the facts the copy was checked against, so an example that says "10% off"
    shows where that came from), newest first: the generator's few-shot examples and the
    brand-voice fine-tune's data. `channel` keeps that channel only; `prefer_channel` puts it
    first; `offer_last` puts copy that states its campaign's offer after the rest (among the
    4 * limit candidates). Facts are read for the chosen rows only. Copy the checks rejected is
    never approved, so every example passed them."""
    variants = AdCopy.objects.select_related("campaign").filter(
        status=AdCopy.Status.APPROVED, product__isnull=False
    )
    if channel is not None:
        variants = variants.filter(channel=channel)
    if exclude_product_id is not None:
        variants = variants.exclude(product_id=exclude_product_id)
    ordering = ["-updated_at", "-pk"]
    if prefer_channel is not None:
        variants = variants.annotate(
            other_channel=Case(
                When(channel=prefer_channel, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        ordering.insert(0, "other_channel")
    rows = list(variants.order_by(*ordering)[: 4 * limit if offer_last else limit])
    if offer_last:
        rows = sorted(rows, key=_states_its_offer)[:limit]  # stable: keeps the order above
    examples = []
    for row in rows:
        facts = product_copy_facts(
            product_id=row.product_id, offer=campaign_offer(campaign=row.campaign)
        )
        if facts is not None:
            copy = Variant(row.headline, row.body, row.call_to_action)
            examples.append(Example(facts=facts, copy=copy, channel=row.channel))
    return examples


def _states_its_offer(row: AdCopy) -> bool:
    offer = campaign_offer(campaign=row.campaign).lower()
    text = " ".join((row.headline, row.body, row.call_to_action)).lower()
    return bool(offer) and offer in text


def campaign_product_ids(*, campaign: Campaign, limit: int = CAMPAIGN_PRODUCTS_MAX) -> list[int]:
    """The products a campaign's copy is about: its target products, or else the products of
    its target category (and its subcategories) in stock, or none (copy about the campaign)."""
    targets = list(campaign.target_products.order_by("pk").values_list("pk", flat=True)[:limit])
    if targets or campaign.target_category_id is None:
        return targets
    from shop.models import Product

    return list(
        Product.objects.filter(
            Q(category_id=campaign.target_category_id)
            | Q(category__parent_id=campaign.target_category_id),
            stock__gt=0,
        )
        .order_by("-stock", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def adcopy_get(*, adcopy_id: int) -> AdCopy | None:
    return AdCopy.objects.select_related("campaign", "product").filter(pk=adcopy_id).first()


def campaign_variants(*, campaign_id: int) -> list[AdCopy]:
    """The campaign's variants, newest first, with their product (the adcopy_campaign_status
    index)."""
    return list(
        AdCopy.objects.filter(campaign_id=campaign_id)
        .select_related("product", "model_version")
        .order_by("-pk")
    )


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


def variant_recent_impressions(
    *, variant_ids: list[int], now: datetime, window: timedelta = CONVERSION_WINDOW
) -> dict[int, dict[datetime, int]]:
    """{variant id: {hour: impressions}} of the impressions of the last `window` (their
    conversions may still be on their way). One query (the adevent_variant_kind index)."""
    rows = (
        AdEvent.objects.filter(
            variant_id__in=variant_ids,
            kind=AdEvent.Kind.IMPRESSION,
            occurred_at__gte=now - window,
            occurred_at__lte=now,
        )
        .annotate(hour=Trunc("occurred_at", "hour"))
        .values("variant_id", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found: dict[int, dict[datetime, int]] = {}
    for row in rows:
        found.setdefault(row["variant_id"], {})[row["hour"]] = row["n"]
    return found


def conversion_delays(
    *, now: datetime, window: timedelta = CONVERSION_WINDOW, limit: int = CONVERSION_DELAY_ROWS
) -> list[float]:
    """Seconds from the (last) click to the order, of the latest `limit` attributed conversions
    whose window had passed by `now` (a recent click's slow order is not known yet, so recent
    clicks would make the delay look short). All campaigns: delay is the store's shoppers'
    habit. One query."""
    last_click = AdEvent.objects.filter(
        kind=AdEvent.Kind.CLICK,
        customer_id=OuterRef("order__customer_id"),
        product_id=OuterRef("product_id"),
        occurred_at__lte=OuterRef("order__placed_at"),
        occurred_at__gte=OuterRef("order__placed_at") - window,
    ).order_by("-occurred_at", "-pk")
    clicked_products = AdEvent.objects.filter(
        kind=AdEvent.Kind.CLICK, occurred_at__lte=now - window
    ).values("product_id")
    rows = (
        _sold_items()
        .filter(product_id__in=clicked_products, order__placed_at__lte=now)
        .annotate(clicked_at=Subquery(last_click.values("occurred_at")[:1]))
        .filter(clicked_at__lte=now - window)
        .order_by("-clicked_at")
        .values_list("clicked_at", "order__placed_at")[:limit]
    )
    return [(placed - clicked).total_seconds() for clicked, placed in rows]


def conversion_delay(*, now: datetime) -> bandit.ConversionDelay:
    """The store's conversion delay (see bandit.conversion_delay_estimate), cached
    DELAY_CACHE_SECONDS: it moves only as clicks' windows close."""
    key = "ads:conversion-delay"
    found = cache.get(key)
    if found is None:
        found = bandit.conversion_delay_estimate(
            conversion_delays(now=now), window_s=CONVERSION_WINDOW.total_seconds()
        )
        cache.set(key, found, DELAY_CACHE_SECONDS)
    return found


def variant_arm_stats(
    *, variant_ids: list[int], now: datetime | None = None
) -> dict[int, bandit.ArmStats]:
    """Each variant's impressions and attributed conversions, for the bandit: the impressions
    weighted by the share of their conversions known by now (bandit.impressions_effective with
    the store's conversion delay), so a variant shown a lot lately is not taken for a worse one
    while its orders are still on their way. Four queries (five when the delay is not cached)."""
    now = now or timezone.now()
    counts = variant_counts(variant_ids=variant_ids)
    conversions = variant_conversions(variant_ids=variant_ids)
    recent = variant_recent_impressions(variant_ids=variant_ids, now=now)
    delay = conversion_delay(now=now)
    hours = sorted({hour for by_hour in recent.values() for hour in by_hour})
    window_s = CONVERSION_WINDOW.total_seconds()
    ages = [
        min(max((now - hour).total_seconds() - bandit.HOUR / 2, 0.0), window_s) for hour in hours
    ]
    effective = bandit.impressions_effective(
        impressions=[counts.get(pk, {}).get("impressions", 0) for pk in variant_ids],
        recent_ages_s=ages,
        recent_counts=[[recent.get(pk, {}).get(hour, 0) for hour in hours] for pk in variant_ids],
        delay=delay,
    )
    return {
        pk: bandit.ArmStats(
            impressions=float(effective[i]),
            conversions=conversions.get(pk, {}).get("conversions", 0),
        )
        for i, pk in enumerate(variant_ids)
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


def _cached_candidates(*, placement: str, product_id: int | None, on: date) -> list[AdCopy]:
    """`adcopy_candidates`, from the cache while no variant, campaign, product or category
    changed (two cache reads, no query)."""
    ads_version, catalogue_version = versions(
        ADS_CACHE_NAMESPACE, shop_selectors.CATALOGUE_CACHE_NAMESPACE
    )
    key = (
        f"ads:candidates:{ads_version}:{catalogue_version}:{placement}:{product_id}:"
        f"{on.isoformat()}"
    )
    return cache.get_or_set(
        key,
        lambda: adcopy_candidates(placement=placement, product_id=product_id, on=on),
        CANDIDATES_CACHE_SECONDS,
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
    (deterministic per shopper and campaign), or nothing. The candidates come from the cache
    while nothing they depend on changed."""
    candidates = _cached_candidates(
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


def report_winner(rows: list[dict]) -> int | None:
    """The variant whose probability of converting best reaches WINNER_PROBABILITY (among
    variants with impressions), or None while no variant is that clearly ahead."""
    best = max(
        (row for row in rows if row["probability_best"] is not None),
        key=lambda row: row["probability_best"],
        default=None,
    )
    if best is None or best["probability_best"] < WINNER_PROBABILITY:
        return None
    return best["variant"]


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
        "winner": report_winner(rows),
        "winner_threshold": WINNER_PROBABILITY,
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


def campaign_list_overlapping(*, start: date, end: date) -> QuerySet[Campaign]:
    """Campaigns that ran on at least one day of start .. end (both included)."""
    return Campaign.objects.filter(starts_on__lte=end, ends_on__gte=start).order_by("pk")
