"""The demo store: a deterministic store with a year of believable activity.

The catalogue is real where the data is present (the Women's E-Commerce Clothing Reviews set
under `settings.SHARED_DATA_DIR`: the products with the most reviews, with their reviews) and
generated otherwise. Customers, browsing sessions, events, orders and campaigns are simulated
from one `random.Random(seed)`, so the same seed, size and end day give the same store.

What the simulation puts in, so that analytics and models have something to find:
- each customer has stable tastes: two or three favourite categories and a price level; their
  sessions mostly browse their favourites and they buy what they viewed and put in the cart;
- order volume follows the week (weekends up) and the year (a November/December peak with
  Black Friday, a January dip), see `demo_day_weight`;
- campaigns bring extra traffic to their category, raise conversion there and discount it
  (so prices paid vary, which is what price elasticity is estimated from);
- every product has a unit cost of 40-65% of its price, drawn from a stream of its own seeded
  by the main seed, so price suggestions have margins to work with and every other number of
  the store is the same as without costs;
- generated review text agrees with its rating; a few reviews belong to customers who bought
  the product and are dated after the purchase;
- customers leave: each has a `CHURN_SHARE` chance of stopping all visits on a day drawn
  uniformly over the period (from a stream seeded by the main one), so churn and
  lifetime-value models have lapsed customers to find.

Every row the demo owns is marked (customers `demo-…`, orders `DEMO-…`, sessions `demo-s…`,
campaigns `demo-…`, generated products `DEMO-…` and reviews `demo-r…`) so that a reset
removes exactly those. Real clothing products and reviews are shared with the
`import_clothing_reviews` importer and are kept (and re-imported idempotently).
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.text import slugify

from marketing.models import Campaign
from marketing.services import ads_changed
from shop.imports import (
    CLOTHING_SKU_PREFIX,
    clothing_reviews_import,
    entity_rows_import,
)
from shop.models import Category, Customer, Event, Order, OrderItem, Product, Review
from shop.services import catalogue_changed

DEMO_CUSTOMER_PREFIX = "demo-"
DEMO_ORDER_PREFIX = "DEMO-"
DEMO_SESSION_PREFIX = "demo-s"
DEMO_CAMPAIGN_PREFIX = "demo-"
DEMO_PRODUCT_PREFIX = "DEMO-"
DEMO_REVIEW_PREFIX = "demo-r"
CLOTHING_REVIEWS_FILE = Path("womens_clothing_reviews") / "Womens_Clothing_E-Commerce_Reviews.csv"

_BATCH_SIZE = 1000
_CENT = Decimal("0.01")
_FREE_SHIPPING_FROM = Decimal("50")
_SHIPPING = Decimal("3.95")

# Simulation constants: sessions a customer starts in an average year, the share of guest
# sessions, and the chances that move a session down the funnel.
_SESSIONS_PER_CUSTOMER_YEAR = 14.0
_GUEST_SHARE = 0.18
# Extra sessions a campaign brings, relative to its category's usual share of the traffic.
_CAMPAIGN_TRAFFIC = 1.0
_CAMPAIGN_CONVERSION = 1.3
_FAVOURITE_SHARE = 0.82  # of a customer's sessions that browse one of their favourites
_SEARCH_SHARE = 0.35
_CART_CHANCE = 0.26
_BUY_CHANCE = 0.46
_REVIEW_LINK_CHANCE = 0.05

_WEEKDAY_WEIGHT = (0.92, 0.9, 0.93, 0.97, 1.05, 1.3, 1.22)  # Monday first
_MONTH_WEIGHT = {
    1: 0.8,
    2: 0.84,
    3: 0.94,
    4: 0.97,
    5: 1.0,
    6: 0.98,
    7: 0.95,
    8: 0.93,
    9: 0.98,
    10: 1.04,
    11: 1.35,
    12: 1.55,
}
_HOUR_WEIGHT = (
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.0, 3.5, 4.0, 4.5,
    5.0, 5.0, 4.5, 4.5, 4.5, 5.0, 6.0, 7.0, 7.5, 7.0, 5.0, 2.5,
)  # fmt: skip
_COUNTRIES = (
    ("United Kingdom", 52),
    ("Ireland", 6),
    ("France", 7),
    ("Germany", 8),
    ("Netherlands", 4),
    ("Spain", 4),
    ("Belgium", 3),
    ("United States", 9),
    ("Canada", 3),
    ("Australia", 4),
)
_FIRST_NAMES = (
    "Olivia Amelia Isla Ava Mia Grace Sophia Lily Emily Ella Freya Poppy Chloe Evie Ruby "
    "Daisy Sienna Alice Charlotte Florence Harper Maya Zara Leah Nora Hannah Jessica Lucy "
    "Sarah Laura Emma Claire Rachel Megan Amy Anna Julia Elena Marta Sofia"
).split()
_LAST_NAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Wood Jackson Clarke Murphy Kelly Martin Dubois "
    "Muller Schmidt Garcia Lopez Rossi Jansen Peeters Byrne Walsh Nguyen Khan Ali Cohen "
    "Novak Silva"
).split()
_QUERY_WORDS = ("", "", "", "black", "summer", "petite", "sale", "linen", "new", "work")
_CHANNEL_SOURCE = {
    Campaign.Channel.EMAIL: "email",
    Campaign.Channel.SEARCH: "search_ads",
    Campaign.Channel.SOCIAL: "social",
    Campaign.Channel.DISPLAY: "display_ads",
}


def demo_day_weight(day: date) -> float:
    """Relative traffic of a day: weekly (weekends up) times yearly (November/December peak,
    Black Friday to Cyber Monday, a quiet Christmas Day and a January dip)."""
    weight = _WEEKDAY_WEIGHT[day.weekday()] * _MONTH_WEIGHT[day.month]
    november_first = date(day.year, 11, 1)
    # The day after Thanksgiving, the fourth Thursday of November.
    black_friday = november_first + timedelta(days=(3 - november_first.weekday()) % 7 + 22)
    if black_friday <= day <= black_friday + timedelta(days=3):
        weight *= 1.7
    if day.month == 12 and day.day == 25:
        weight *= 0.35
    elif day.month == 12 and day.day > 25:
        weight *= 0.8
    return weight


# --- Summary -----------------------------------------------------------------------------


@dataclass
class DemoSummary:
    """What the demo store holds (counts from the database)."""

    seed: int | None
    reused: bool
    catalogue: str
    first_day: date | None
    last_day: date | None
    categories: int = 0
    products: int = 0
    reviews: int = 0
    reviews_by_customers: int = 0
    customers: int = 0
    sessions: int = 0
    events: dict[str, int] = field(default_factory=dict)
    orders: int = 0
    orders_by_status: dict[str, int] = field(default_factory=dict)
    order_items: int = 0
    revenue: Decimal = Decimal("0")
    campaigns: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        head = (
            "A demo store already exists; nothing was changed (use --reset to rebuild it)."
            if self.reused
            else f"Demo store built with seed {self.seed} in {self.seconds:.1f} s."
        )
        events = ", ".join(f"{kind} {n:,}" for kind, n in sorted(self.events.items()))
        statuses = ", ".join(
            f"{status} {n:,}" for status, n in sorted(self.orders_by_status.items())
        )
        period = f"{self.first_day} to {self.last_day}" if self.first_day else "no activity"
        return [
            head,
            f"  catalogue: {self.catalogue}; {self.categories:,} categories, "
            f"{self.products:,} products, {self.reviews:,} reviews "
            f"({self.reviews_by_customers:,} by customers who bought the product)",
            f"  customers: {self.customers:,}; sessions: {self.sessions:,}",
            f"  events: {sum(self.events.values()):,} ({events})",
            f"  orders: {self.orders:,} ({statuses}); order lines: {self.order_items:,}; "
            f"revenue {self.revenue:,} {settings.STORE_CURRENCY}",
            f"  campaigns: {self.campaigns}; activity: {period}",
        ]


def demo_store_exists() -> bool:
    """Is there a demo store (any demo customer) in the database?"""
    return Customer.objects.filter(external_id__startswith=DEMO_CUSTOMER_PREFIX).exists()


def demo_store_summary(*, seed: int | None = None, reused: bool = False) -> DemoSummary:
    """Count what the demo store holds."""
    orders = Order.objects.filter(number__startswith=DEMO_ORDER_PREFIX)
    events = Event.objects.filter(session_id__startswith=DEMO_SESSION_PREFIX)
    generated = Product.objects.filter(sku__startswith=DEMO_PRODUCT_PREFIX)
    if generated.exists():
        catalogue, products = "generated", generated
    else:
        catalogue = "Women's E-Commerce Clothing Reviews"
        products = Product.objects.filter(pk__in=events.values("product_id"))
    placed = orders.order_by("placed_at").values_list("placed_at", flat=True)
    first, last = placed.first(), placed.last()
    kept = orders.exclude(status__in=[Order.Status.CANCELLED, Order.Status.RETURNED])
    revenue = kept.aggregate(revenue=Sum("total"))["revenue"]
    return DemoSummary(
        seed=seed,
        reused=reused,
        catalogue=catalogue,
        first_day=timezone.localtime(first).date() if first else None,
        last_day=timezone.localtime(last).date() if last else None,
        categories=Category.objects.filter(products__in=products).distinct().count(),
        products=products.count(),
        reviews=Review.objects.filter(product__in=products).count(),
        reviews_by_customers=Review.objects.filter(
            customer__external_id__startswith=DEMO_CUSTOMER_PREFIX
        ).count(),
        customers=Customer.objects.filter(external_id__startswith=DEMO_CUSTOMER_PREFIX).count(),
        sessions=events.values("session_id").distinct().count(),
        events=dict(events.values_list("kind").annotate(n=Count("id")).order_by()),
        orders=orders.count(),
        orders_by_status=dict(orders.values_list("status").annotate(n=Count("id")).order_by()),
        order_items=OrderItem.objects.filter(order__in=orders).count(),
        revenue=Decimal(revenue or 0).quantize(_CENT),
        campaigns=Campaign.objects.filter(slug__startswith=DEMO_CAMPAIGN_PREFIX).count(),
    )


# --- Reset -------------------------------------------------------------------------------


@transaction.atomic
def demo_store_reset() -> dict[str, int]:
    """Delete every row the demo store owns; returns the number deleted per model.

    Deletes demo orders (and their lines), demo sessions' events, demo customers (their
    other events go with them; reviews they wrote lose their author), demo campaigns, and the
    generated products and reviews. Real clothing products and reviews are kept.
    """
    deleted: Counter[str] = Counter()

    def count(result: tuple[int, dict[str, int]]) -> None:
        deleted.update(result[1])

    count(Order.objects.filter(number__startswith=DEMO_ORDER_PREFIX).delete())
    count(Event.objects.filter(session_id__startswith=DEMO_SESSION_PREFIX).delete())
    count(Review.objects.filter(external_id__startswith=DEMO_REVIEW_PREFIX).delete())
    count(Customer.objects.filter(external_id__startswith=DEMO_CUSTOMER_PREFIX).delete())
    count(Campaign.objects.filter(slug__startswith=DEMO_CAMPAIGN_PREFIX).delete())
    count(Product.objects.filter(sku__startswith=DEMO_PRODUCT_PREFIX).delete())
    return dict(deleted)


# --- Catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    pk: int
    sku: str
    price: Decimal
    category_id: int
    popularity: float


@dataclass
class _Catalogue:
    source: str
    items: list[_Item]
    categories: list[int]  # leaf categories in slug order
    category_names: dict[int, str]
    # (category, price band) -> items and cumulative pick weights
    picks: dict[tuple[int, int], tuple[list[_Item], list[float]]]
    category_weights: list[float]  # cumulative, by popularity, aligned with `categories`

    def pick(self, rng: random.Random, category: int, band: int) -> _Item:
        items, cumulative = self.picks[(category, band)]
        return items[bisect_left(cumulative, rng.random() * cumulative[-1])]

    def share(self, category: int) -> float:
        """The category's share of the catalogue's popularity."""
        index = self.categories.index(category)
        below = self.category_weights[index - 1] if index else 0.0
        return (self.category_weights[index] - below) / self.category_weights[-1]

    def any_category(self, rng: random.Random) -> int:
        weights = self.category_weights
        return self.categories[bisect_left(weights, rng.random() * weights[-1])]


_PRICE_BANDS = 5
_UNIT_COST_SHARE = (0.40, 0.65)  # of the price: what a unit costs the store


def _catalogue_load(skus: Sequence[str], source: str) -> _Catalogue:
    rows = list(
        Product.objects.filter(sku__in=skus, category__isnull=False)
        .values_list("pk", "sku", "price", "category_id", "category__slug", "category__name")
        .order_by("sku")
    )
    reviews = dict(
        Review.objects.filter(product__sku__in=skus)
        .values_list("product__sku")
        .annotate(n=Count("id"))
        .order_by()
    )
    items = [
        _Item(pk, sku, price, category_id, 1.0 + math.sqrt(reviews.get(sku, 0)))
        for pk, sku, price, category_id, _, _ in rows
    ]
    slug_of = {category_id: slug for _, _, _, category_id, slug, _ in rows}
    names = {category_id: name for *_, category_id, _, name in rows}
    categories = sorted(slug_of, key=slug_of.__getitem__)
    by_category: dict[int, list[_Item]] = defaultdict(list)
    for item in items:
        by_category[item.category_id].append(item)
    picks = {}
    for category in categories:
        members = sorted(by_category[category], key=lambda item: (item.price, item.sku))
        for band in range(_PRICE_BANDS):
            centre = (band + 0.5) / _PRICE_BANDS
            weights = [
                item.popularity
                * (0.15 + math.exp(-(((rank + 0.5) / len(members) - centre) ** 2) / 0.06))
                for rank, item in enumerate(members)
            ]
            picks[(category, band)] = (members, list(accumulate(weights)))
    category_weights = list(
        accumulate(sum(item.popularity for item in by_category[c]) for c in categories)
    )
    return _Catalogue(source, items, categories, names, picks, category_weights)


def _catalogue_from_clothing(*, path: Path, products: int, end: datetime, days: int) -> _Catalogue:
    clothing_reviews_import(
        path=path, top_products=products, reviews_end=end, reviews_span_days=days
    )
    counts = Counter(
        Review.objects.filter(product__sku__startswith=CLOTHING_SKU_PREFIX).values_list(
            "product__sku", flat=True
        )
    )
    # The same choice as the importer's: most reviews first, then the lower clothing id.
    chosen = sorted(
        counts, key=lambda sku: (-counts[sku], int(sku.removeprefix(CLOTHING_SKU_PREFIX)))
    )[:products]
    return _catalogue_load(chosen, "Women's E-Commerce Clothing Reviews")


_GENERATED_LEAVES = (
    (("Clothing", "Dresses", "Day dresses"), "Dress", 65),
    (("Clothing", "Dresses", "Evening dresses"), "Gown", 140),
    (("Clothing", "Tops", "Blouses"), "Blouse", 45),
    (("Clothing", "Tops", "Knits"), "Knit Top", 38),
    (("Clothing", "Tops", "Sweaters"), "Sweater", 70),
    (("Clothing", "Bottoms", "Jeans"), "Jeans", 75),
    (("Clothing", "Bottoms", "Skirts"), "Skirt", 55),
    (("Clothing", "Bottoms", "Trousers"), "Trousers", 60),
    (("Clothing", "Outerwear", "Coats"), "Coat", 160),
    (("Clothing", "Outerwear", "Jackets"), "Jacket", 110),
    (("Intimates", "Sleep", "Pyjamas"), "Pyjama Set", 45),
    (("Intimates", "Swim", "Swimsuits"), "Swimsuit", 50),
    (("Accessories", "Bags", "Handbags"), "Bag", 85),
    (("Accessories", "Scarves", "Scarves"), "Scarf", 30),
    (("Shoes", "Boots", "Ankle boots"), "Boots", 120),
    (("Shoes", "Trainers", "Trainers"), "Trainers", 80),
)
_STYLES = "Relaxed Classic Cropped Wrap Tailored Oversized Fitted Pleated Ribbed Belted".split()
_MATERIALS = "Linen Cotton Silk Denim Wool Cashmere Jersey Velvet Satin Leather".split()
_COLOURS = "Black Navy Ivory Olive Rust Blush Charcoal Cobalt Sand Emerald".split()
_ASPECTS = ("fabric", "fit", "colour", "cut", "stitching", "length")
GENERATED_REVIEW_TITLES = {
    5: ("Love it", "Perfect", "Beautiful {noun}", "My new favourite"),
    4: ("Very nice", "Pretty good", "Nice {noun}", "Happy with it"),
    3: ("Just okay", "Mixed feelings", "Average {noun}", "It's fine"),
    2: ("Not great", "Disappointing", "Not as pictured", "Meh"),
    1: ("Sent it back", "Poor quality", "Awful {noun}", "Do not buy"),
}
GENERATED_REVIEW_TEXTS = {
    5: (
        "I absolutely love this {noun}. The {aspect} is perfect and it fits true to size.",
        "Gorgeous {noun}, the {aspect} is even better in person. I get compliments every time.",
        "Best purchase this season: great {aspect}, comfortable all day. Buying another colour.",
    ),
    4: (
        "Really nice {noun}. The {aspect} is lovely, though it runs slightly large.",
        "Good quality for the price and a flattering {aspect}; I'd size down.",
        "Very pretty {noun}. Only wish the {aspect} were a little better, otherwise great.",
    ),
    3: (
        "It's an okay {noun}. The {aspect} is fine but nothing special.",
        "Mixed feelings: I like the {aspect}, but it looks cheaper than in the photos.",
        "Average {noun}. Wearable, though the {aspect} is not quite right on me.",
    ),
    2: (
        "Disappointed with this {noun}. The {aspect} looked cheap in person.",
        "The {aspect} is unflattering and the sizing is off. Probably returning it.",
        "Not what I expected; the {aspect} was poor and it wrinkled straight away.",
    ),
    1: (
        "Terrible {noun}. The {aspect} fell apart after one wash and I sent it back.",
        "Very poor quality; the {aspect} is awful and nothing like the pictures.",
        "Returned immediately. The {aspect} was wrong and the material felt cheap.",
    ),
}


def _review_content(rng: random.Random, rating: int, noun: str) -> tuple[str, str]:
    """A title and text whose sentiment agrees with the rating."""
    values = {"noun": noun.lower(), "aspect": rng.choice(_ASPECTS)}
    title = rng.choice(GENERATED_REVIEW_TITLES[rating]).format(**values)
    return title, rng.choice(GENERATED_REVIEW_TEXTS[rating]).format(**values)


def _rating(rng: random.Random, quality: float) -> int:
    return min(5, max(1, round(rng.gauss(quality, 0.9))))


def _catalogue_generate(
    *, rng: random.Random, products: int, end: datetime, days: int
) -> tuple[_Catalogue, dict[str, tuple[str, float]]]:
    """Generate products and their reviews through the importer; returns the catalogue and,
    per SKU, the product's noun and quality (for later reviews)."""
    product_rows = []
    review_rows = []
    traits: dict[str, tuple[str, float]] = {}
    span = days * 24 * 60
    for index in range(products):
        path, noun, base = _GENERATED_LEAVES[index % len(_GENERATED_LEAVES)]
        sku = f"{DEMO_PRODUCT_PREFIX}{index + 1:05d}"
        colour, style, material = (rng.choice(x) for x in (_COLOURS, _STYLES, _MATERIALS))
        price = Decimal(max(5, int(base * rng.uniform(0.6, 1.5)))) - _CENT
        quality = rng.gauss(4.0, 0.55)
        traits[sku] = (noun, quality)
        product_rows.append(
            (
                index + 1,
                {
                    "sku": sku,
                    "title": f"{style} {material} {noun}",
                    "description": f"A {colour.lower()} {material.lower()} {noun.lower()}.",
                    "category": " > ".join(path),
                    "price": str(price),
                    "stock": str(rng.randint(0, 120)),
                    "attributes": {"colour": colour, "material": material},
                },
            )
        )
        for _ in range(int(rng.paretovariate(1.3) * 3) - 2):
            rating = _rating(rng, quality)
            title, text = _review_content(rng, rating, noun)
            created = end - timedelta(minutes=rng.randrange(span))
            review_rows.append(
                (
                    len(review_rows) + 1,
                    {
                        "external_id": f"{DEMO_REVIEW_PREFIX}{len(review_rows) + 1:06d}",
                        "sku": sku,
                        "rating": rating,
                        "title": title,
                        "text": text,
                        "created_at": created.isoformat(),
                    },
                )
            )
    entity_rows_import(entity="products", rows=product_rows, source="demo")
    entity_rows_import(entity="reviews", rows=review_rows, source="demo")
    return _catalogue_load(list(traits), "generated"), traits


def _unit_costs_set(*, catalogue: _Catalogue, seed: int) -> None:
    """Give every catalogue product a unit cost of 40-65% of its price, from its own stream
    (`unit-cost-<seed>`), so that the simulation's draws are the same as without costs."""
    rng = random.Random(f"unit-cost-{seed}")
    products = [
        Product(
            pk=item.pk,
            unit_cost=(
                item.price * Decimal(str(round(rng.uniform(*_UNIT_COST_SHARE), 4)))
            ).quantize(_CENT, ROUND_HALF_UP),
        )
        for item in sorted(catalogue.items, key=lambda item: item.sku)
    ]
    Product.objects.bulk_update(products, ["unit_cost"], batch_size=_BATCH_SIZE)
    catalogue_changed()  # bulk_update sends no signal


# --- Simulation --------------------------------------------------------------------------


@dataclass
class _Shopper:
    index: int
    customer: Customer | None
    band: int
    favourites: list[int]
    favourite_weights: list[float]
    country: str
    first_day: date | None = None


@dataclass(frozen=True)
class _CampaignPlan:
    campaign: Campaign
    category: int
    starts: date
    ends: date
    discount: Decimal


@dataclass
class _Simulation:
    rng: random.Random
    catalogue: _Catalogue
    today: date
    events: list[Event] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    lines: list[list[tuple[_Item, int, Decimal]]] = field(default_factory=list)
    sessions: int = 0

    def step(self, moment: datetime) -> datetime:
        return moment + timedelta(seconds=self.rng.randint(8, 150))

    def session(
        self,
        *,
        shopper: _Shopper,
        start: datetime,
        category: int,
        campaign: _CampaignPlan | None,
        source: str,
        conversion: float,
        offers: dict[int, _CampaignPlan] | None = None,
    ) -> None:
        """One visit. `campaign` brought the shopper (or runs in the session's category);
        `offers` are the campaigns running that day by category: any item bought from one of
        those categories gets its discount, wherever the session started."""
        rng, catalogue = self.rng, self.catalogue
        self.sessions += 1
        session_id = f"{DEMO_SESSION_PREFIX}{self.sessions:07d}"
        customer = shopper.customer
        customer_id = customer.pk if customer else None

        def event(kind: str, moment: datetime, item: _Item | None = None, query: str = ""):
            self.events.append(
                Event(
                    kind=kind,
                    customer_id=customer_id,
                    session_id=session_id,
                    product_id=item.pk if item else None,
                    query=query,
                    occurred_at=moment,
                    source=source,
                )
            )

        moment = start
        viewed: list[_Item] = []
        if rng.random() < _SEARCH_SHARE:
            words = (rng.choice(_QUERY_WORDS), catalogue.category_names[category].lower())
            event("search", moment, query=" ".join(w for w in words if w))
            for _ in range(1 + (rng.random() < 0.45) + (rng.random() < 0.15)):
                item = catalogue.pick(rng, category, shopper.band)
                moment = self.step(moment)
                event("click", moment, item)
                moment = self.step(moment)
                event("view", moment, item)
                viewed.append(item)
        else:
            for _ in range(1 + int(rng.expovariate(0.6))):
                browse = category if rng.random() < 0.88 else catalogue.any_category(rng)
                item = catalogue.pick(rng, browse, shopper.band)
                moment = self.step(moment)
                event("view", moment, item)
                viewed.append(item)

        offers = dict(offers or {})
        if campaign is not None:
            offers.setdefault(campaign.category, campaign)
        cart: list[_Item] = []
        for item in dict.fromkeys(viewed):
            on_offer = item.category_id in offers
            if rng.random() < _CART_CHANCE * (1.25 if on_offer else 1.0):
                moment = self.step(moment)
                event("add_to_cart", moment, item)
                cart.append(item)
        if not cart or rng.random() >= _BUY_CHANCE * conversion:
            return
        moment = self.step(moment)
        lines = []
        for item in cart:
            price = item.price
            offer = offers.get(item.category_id)
            if offer is not None:
                price = (price * (1 - offer.discount)).quantize(_CENT, ROUND_HALF_UP)
            lines.append((item, 2 if rng.random() < 0.08 else 1, price))
            event("purchase", moment, item)
        # A session that runs past midnight still orders on the day it began, the day whose
        # campaign prices it was shown.
        last_second = timezone.localtime(start).replace(hour=23, minute=59, second=59)
        moment = min(moment, last_second)
        subtotal = sum((price * qty for _, qty, price in lines), Decimal("0"))
        shipping = Decimal("0") if subtotal >= _FREE_SHIPPING_FROM else _SHIPPING
        self.orders.append(
            Order(
                number=f"{DEMO_ORDER_PREFIX}{len(self.orders) + 1:06d}",
                customer=customer,
                status=self.status(moment),
                currency=settings.STORE_CURRENCY,
                subtotal=subtotal,
                total=subtotal + shipping,
                country=shopper.country,
                placed_at=moment,
            )
        )
        self.lines.append(lines)

    def status(self, moment: datetime) -> str:
        age = (self.today - timezone.localtime(moment).date()).days
        draw = self.rng.random()
        if age >= 14:
            return "returned" if draw < 0.04 else "cancelled" if draw < 0.07 else "delivered"
        if age >= 3:
            return "cancelled" if draw < 0.03 else "shipped" if draw < 0.5 else "delivered"
        return "pending" if draw < 0.2 else "paid" if draw < 0.7 else "shipped"


def _weighted_country(rng: random.Random) -> str:
    names, weights = zip(*_COUNTRIES, strict=True)
    return rng.choices(names, weights=weights)[0]


def _shoppers_create(
    *, rng: random.Random, catalogue: _Catalogue, count: int
) -> tuple[list[_Shopper], list[float]]:
    """Make the customers (in memory, then one bulk insert) with their tastes and activity."""
    shoppers = []
    activity = []
    customers = []
    for index in range(count):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        country = _weighted_country(rng)
        customer = Customer(
            external_id=f"{DEMO_CUSTOMER_PREFIX}{index + 1:05d}",
            email=f"{first}.{last}.{index + 1}@example.com".lower(),
            name=f"{first} {last}",
            country=country,
            marketing_consent=rng.random() < 0.55,
            profiling_consent=rng.random() < 0.92,
        )
        customers.append(customer)
        favourites: list[int] = []
        while len(favourites) < min(1 + int(rng.random() * 3), len(catalogue.categories)):
            category = catalogue.any_category(rng)
            if category not in favourites:
                favourites.append(category)
        shares = [0.6, 0.27, 0.13][: len(favourites)]
        shoppers.append(
            _Shopper(
                index=index,
                customer=customer,
                band=min(_PRICE_BANDS - 1, int(rng.betavariate(2, 2) * _PRICE_BANDS)),
                favourites=favourites,
                favourite_weights=list(accumulate(shares)),
                country=country,
            )
        )
        activity.append(rng.lognormvariate(0, 0.9))
    Customer.objects.bulk_create(customers, batch_size=_BATCH_SIZE)
    total = sum(activity)
    return shoppers, [a * count / total for a in activity]


def _campaigns_plan(
    *, rng: random.Random, catalogue: _Catalogue, first_day: date, days: int
) -> list[_CampaignPlan]:
    """A few campaigns spread over the period, each on one of the larger categories."""
    count = max(1, min(5, round(days / 90)))
    length = max(3, min(14, days // 8))
    sizes = Counter(item.category_id for item in catalogue.items)
    largest = sorted(catalogue.categories, key=lambda c: (-sizes[c], catalogue.categories.index(c)))
    targets = rng.sample(largest[: max(count, 6)], min(count, len(largest)))
    channels = list(Campaign.Channel)
    plans = []
    for number, category in enumerate(targets):
        middle = first_day + timedelta(days=int((number + 0.5) * days / len(targets)))
        starts = max(first_day, middle - timedelta(days=length // 2))
        ends = starts + timedelta(days=length - 1)
        channel = channels[(number + rng.randrange(len(channels))) % len(channels)]
        discount = rng.choice((10, 15, 20, 25))
        name = catalogue.category_names[category]
        campaign = Campaign(
            name=f"{name}: {discount}% off, {starts:%B %Y}",
            slug=f"{DEMO_CAMPAIGN_PREFIX}{number + 1}-{slugify(name)}-{starts:%Y-%m}",
            channel=channel.value,
            starts_on=starts,
            ends_on=ends,
            budget=Decimal(rng.randrange(2000, 15000, 500)),
            discount_percent=discount,
            target_category_id=category,
            description=f"{discount}% off {name.lower()}, promoted by {channel.label.lower()}.",
        )
        plans.append(_CampaignPlan(campaign, category, starts, ends, Decimal(discount) / 100))
    Campaign.objects.bulk_create([plan.campaign for plan in plans])
    ads_changed()  # bulk_create sends no signal
    return plans


def _session_starts(rng: random.Random, day: date, count: int) -> list[datetime]:
    midnight = timezone.make_aware(
        datetime.combine(day, datetime.min.time()), timezone.get_default_timezone()
    )
    hours = rng.choices(range(24), weights=_HOUR_WEIGHT, k=count)
    return sorted(midnight + timedelta(hours=hour, seconds=rng.randrange(3600)) for hour in hours)


def _poisson(rng: random.Random, mean: float) -> int:
    return max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0


def _simulate(
    *,
    rng: random.Random,
    catalogue: _Catalogue,
    shoppers: list[_Shopper],
    activity: list[float],
    campaigns: list[_CampaignPlan],
    first_day: date,
    days: int,
    today: date,
) -> _Simulation:
    sim = _Simulation(rng=rng, catalogue=catalogue, today=today)
    leaves_on = _leaving_days(shoppers, first_day=first_day, days=days, seed=rng.random())
    cumulative = list(accumulate(activity))
    consenting = [s for s in shoppers if s.customer and s.customer.marketing_consent]
    per_day = len(shoppers) * _SESSIONS_PER_CUSTOMER_YEAR / 365
    guest = _Shopper(-1, None, 2, [], [], "")
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        weight = demo_day_weight(day)
        conversion = 1.15 if day.month in (11, 12) else 1.0
        active = [c for c in campaigns if c.starts <= day <= c.ends]
        visits: list[tuple[_Shopper, _CampaignPlan | None]] = []
        for _ in range(_poisson(rng, per_day * weight)):
            shopper = shoppers[bisect_left(cumulative, rng.random() * cumulative[-1])]
            visits.append((shopper, None))
        for _ in range(_poisson(rng, per_day * weight * _GUEST_SHARE)):
            visits.append((guest, None))
        for campaign in active:
            audience = consenting if campaign.campaign.channel == Campaign.Channel.EMAIL else None
            extra = per_day * weight * _CAMPAIGN_TRAFFIC * catalogue.share(campaign.category)
            for _ in range(_poisson(rng, extra)):
                if audience:
                    visits.append((rng.choice(audience), campaign))
                else:
                    visits.append((shoppers[rng.randrange(len(shoppers))], campaign))
        rng.shuffle(visits)
        for start, (shopper, campaign) in zip(
            _session_starts(rng, day, len(visits)), visits, strict=True
        ):
            source = "app" if rng.random() < 0.25 else "web"
            gone = leaves_on.get(shopper.index)
            if gone is not None and day >= gone:
                continue  # this customer has left the store
            if campaign is not None:
                category = campaign.category
                source = _CHANNEL_SOURCE[Campaign.Channel(campaign.campaign.channel)]
            elif shopper.customer is None:
                category = catalogue.any_category(rng)
            elif rng.random() < _FAVOURITE_SHARE:
                at = rng.random() * shopper.favourite_weights[-1]
                category = shopper.favourites[bisect_left(shopper.favourite_weights, at)]
            else:
                category = catalogue.any_category(rng)
            # On a campaign day any session in the campaign's category gets the offer.
            offer = campaign or next((c for c in active if c.category == category), None)
            if shopper.customer is None:
                shopper = _Shopper(-1, None, rng.randrange(_PRICE_BANDS), [], [], "")
                shopper.country = _weighted_country(rng)
            elif shopper.first_day is None:
                shopper.first_day = day
            sim.session(
                shopper=shopper,
                start=start,
                category=category,
                campaign=offer,
                source=source,
                conversion=conversion * (_CAMPAIGN_CONVERSION if offer else 1.0),
                offers={c.category: c for c in active},
            )
    return sim


CHURN_SHARE = 0.4


def _leaving_days(
    shoppers: list[_Shopper], *, first_day: date, days: int, seed: float
) -> dict[int, date]:
    """The day each leaving customer stops visiting (CHURN_SHARE of them), by shopper index."""
    stream = random.Random(seed)
    leaving = {}
    for shopper in shoppers:
        if stream.random() < CHURN_SHARE:
            leaving[shopper.index] = first_day + timedelta(days=stream.randrange(max(1, days)))
    return leaving


def _signup_dates_set(
    *, rng: random.Random, shoppers: list[_Shopper], first_day: date, days: int
) -> None:
    """Customers signed up before their first session (or some day in the period)."""
    for shopper in shoppers:
        first = shopper.first_day or first_day + timedelta(days=rng.randrange(days))
        signup = first - timedelta(days=int(rng.expovariate(1 / 60)))
        assert shopper.customer is not None
        shopper.customer.created_at = timezone.make_aware(
            datetime.combine(signup, datetime.min.time()) + timedelta(minutes=rng.randrange(1440)),
            timezone.get_default_timezone(),
        )
    Customer.objects.bulk_update(
        [s.customer for s in shoppers], ["created_at"], batch_size=_BATCH_SIZE
    )


def _reviews_by_buyers(
    *,
    rng: random.Random,
    sim: _Simulation,
    catalogue: _Catalogue,
    traits: dict[str, tuple[str, float]] | None,
    end: datetime,
) -> None:
    """Some delivered purchases get a review by the buyer, dated after the purchase: a real
    review of the product is attributed to the buyer, or (generated catalogue) a new one is
    written whose text agrees with its rating."""
    unclaimed: dict[int, list[int]] = defaultdict(list)
    if traits is None:
        rows = Review.objects.filter(
            product_id__in=[item.pk for item in catalogue.items], customer__isnull=True
        ).values_list("product_id", "pk", "external_id")
        for product_id, pk, _ in sorted(rows, key=lambda row: row[2] or ""):
            unclaimed[product_id].append(pk)
    claimed: list[Review] = []
    written = []
    reviewed: set[tuple[int, int]] = set()
    for order, lines in zip(sim.orders, sim.lines, strict=True):
        if order.customer is None or order.status != "delivered":
            continue
        for item, _, _ in lines:
            pair = (order.customer.pk, item.pk)
            if pair in reviewed or rng.random() >= _REVIEW_LINK_CHANCE:
                continue
            created = order.placed_at + timedelta(
                days=rng.randint(4, 25), minutes=rng.randrange(600)
            )
            if created >= end:
                continue
            if traits is None:
                if not unclaimed[item.pk]:
                    continue
                pk = unclaimed[item.pk].pop(rng.randrange(len(unclaimed[item.pk])))
                claimed.append(Review(pk=pk, customer=order.customer, created_at=created))
            else:
                noun, quality = traits[item.sku]
                rating = _rating(rng, quality)
                title, text = _review_content(rng, rating, noun)
                written.append(
                    (
                        len(written) + 1,
                        {
                            "external_id": f"{DEMO_REVIEW_PREFIX}b{len(written) + 1:06d}",
                            "sku": item.sku,
                            "customer_id": order.customer.external_id,
                            "rating": rating,
                            "title": title,
                            "text": text,
                            "created_at": created.isoformat(),
                        },
                    )
                )
            reviewed.add(pair)
    Review.objects.bulk_update(claimed, ["customer", "created_at"], batch_size=_BATCH_SIZE)
    if written:
        entity_rows_import(entity="reviews", rows=written, source="demo")


# --- Build -------------------------------------------------------------------------------


@transaction.atomic
def demo_store_build(
    *,
    seed: int,
    customers: int = 2000,
    days: int = 365,
    products: int = 350,
    reset: bool = False,
    data_dir: Path | None = None,
    today: date | None = None,
    log: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Build the demo store; the same arguments (and day) give the same store.

    If a demo store exists and `reset` is false, changes nothing and returns its summary with
    `reused=True`. With `reset`, first deletes it (`demo_store_reset`). Otherwise, in one
    transaction: imports the `products` most-reviewed clothing products with their reviews from
    `data_dir` (default `settings.SHARED_DATA_DIR`), or generates a catalogue when the file is
    absent; gives every catalogue product a unit cost; creates `customers` customers, a few
    campaigns, and `days` days of sessions (events) and orders ending the day before `today`;
    attributes a few reviews to buyers; recomputes product rating aggregates.
    """
    started = time.perf_counter()
    say = log or (lambda message: None)
    if demo_store_exists():
        if not reset:
            return demo_store_summary(seed=None, reused=True)
        say("Deleting the existing demo store")
        demo_store_reset()
    if customers < 1 or days < 1 or products < 1:
        raise ValueError("customers, days and products must be at least 1")

    rng = random.Random(seed)
    today = today or timezone.localdate()
    first_day = today - timedelta(days=days)
    end = timezone.make_aware(
        datetime.combine(today, datetime.min.time()), timezone.get_default_timezone()
    )
    source = Path(data_dir or settings.SHARED_DATA_DIR) / CLOTHING_REVIEWS_FILE
    traits = None
    if source.is_file():
        say(f"Importing the {products} most reviewed products from {source}")
        catalogue = _catalogue_from_clothing(path=source, products=products, end=end, days=days)
    else:
        say(f"{source} not found; generating {products} products")
        catalogue, traits = _catalogue_generate(
            rng=random.Random(f"catalogue-{seed}"), products=products, end=end, days=days
        )
    if not catalogue.categories:
        raise ValueError("the catalogue has no categorised products")
    _unit_costs_set(catalogue=catalogue, seed=seed)

    say(f"Simulating {customers} customers over {days} days")
    shoppers, activity = _shoppers_create(rng=rng, catalogue=catalogue, count=customers)
    campaigns = _campaigns_plan(rng=rng, catalogue=catalogue, first_day=first_day, days=days)
    sim = _simulate(
        rng=rng,
        catalogue=catalogue,
        shoppers=shoppers,
        activity=activity,
        campaigns=campaigns,
        first_day=first_day,
        days=days,
        today=today,
    )
    _signup_dates_set(rng=rng, shoppers=shoppers, first_day=first_day, days=days)

    say(f"Writing {len(sim.orders)} orders and {len(sim.events)} events")
    Order.objects.bulk_create(sim.orders, batch_size=_BATCH_SIZE)
    OrderItem.objects.bulk_create(
        (
            OrderItem(order=order, product_id=item.pk, quantity=quantity, unit_price=price)
            for order, lines in zip(sim.orders, sim.lines, strict=True)
            for item, quantity, price in lines
        ),
        batch_size=_BATCH_SIZE,
    )
    Event.objects.bulk_create(sim.events, batch_size=_BATCH_SIZE)
    _reviews_by_buyers(rng=rng, sim=sim, catalogue=catalogue, traits=traits, end=end)

    summary = demo_store_summary(seed=seed)
    summary.catalogue = catalogue.source
    summary.seconds = time.perf_counter() - started
    return summary
