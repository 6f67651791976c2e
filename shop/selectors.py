"""Reads of the store. Each list selector returns a QuerySet that runs a fixed number of queries
however many rows it yields (related rows come through select_related/prefetch_related).
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, DateField, DecimalField, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncWeek

from config.cache import versions
from shop.models import Category, Customer, Event, Order, OrderItem, Product, Review

# Public ordering names of the product list, mapped to the model's fields. Every ordering ends
# with the primary key so that pages are stable when values tie.
PRODUCT_ORDERINGS: dict[str, tuple] = {
    "price": (F("price").asc(), "pk"),
    "-price": (F("price").desc(), "-pk"),
    "title": (F("title").asc(), "pk"),
    "-title": (F("title").desc(), "-pk"),
    "created": (F("created_at").asc(), "pk"),
    "-created": (F("created_at").desc(), "-pk"),
    # Products without reviews have no average; they sort last in both directions.
    "rating": (F("rating_average").asc(nulls_last=True), "pk"),
    "-rating": (F("rating_average").desc(nulls_last=True), "-pk"),
}
DEFAULT_PRODUCT_ORDERING = "title"

# Cache namespace of whatever is built from products and categories (the API's product pages,
# the ads that fit a product); `shop.services.catalogue_changed` starts a new version of it.
CATALOGUE_CACHE_NAMESPACE = "catalogue"


def catalogue_version() -> str:
    """The catalogue's cache version: part of the key of anything cached from products or
    categories, so that a change to either makes it stale (one cache read)."""
    return versions(CATALOGUE_CACHE_NAMESPACE)[0]


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("name", "pk")


def category_descendant_ids(*, category_id: int) -> set[int]:
    """The category and every category below it, at any depth (one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found = {category_id}
    frontier = [category_id]
    while frontier:
        next_frontier = []
        for parent_id in frontier:
            for child_id in children.get(parent_id, ()):
                if child_id not in found:  # a cycle in bad data must not loop forever
                    found.add(child_id)
                    next_frontier.append(child_id)
        frontier = next_frontier
    return found


def product_list(
    *,
    include_inactive: bool = False,
    category_id: int | None = None,
    price_min: Decimal | None = None,
    price_max: Decimal | None = None,
    in_stock: bool | None = None,
    search: str = "",
    ordering: str = DEFAULT_PRODUCT_ORDERING,
) -> QuerySet[Product]:
    """Products matching every given filter.

    `category_id` matches the category and its descendants; `search` looks in the title,
    description and SKU (case-insensitive); `ordering` is a key of PRODUCT_ORDERINGS.
    """
    products = Product.objects.select_related("category")
    if not include_inactive:
        products = products.filter(is_active=True)
    if category_id is not None:
        products = products.filter(category_id__in=category_descendant_ids(category_id=category_id))
    if price_min is not None:
        products = products.filter(price__gte=price_min)
    if price_max is not None:
        products = products.filter(price__lte=price_max)
    if in_stock is True:
        products = products.filter(stock__gt=0)
    elif in_stock is False:
        products = products.filter(stock__lte=0)
    if search:
        products = products.filter(
            Q(title__icontains=search) | Q(description__icontains=search) | Q(sku__icontains=search)
        )
    return products.order_by(*PRODUCT_ORDERINGS[ordering])


def product_visible_exists(*, product_id: int, include_inactive: bool = False) -> bool:
    products = Product.objects.filter(pk=product_id)
    if not include_inactive:
        products = products.filter(is_active=True)
    return products.exists()


# The three lookups of an event batch return early when there is nothing to look up: building
# a query that matches nothing costs the ORM as much as one that runs.


def product_ids_existing(*, product_ids: Iterable[int]) -> set[int]:
    wanted = set(product_ids)
    if not wanted:
        return set()
    return set(Product.objects.filter(pk__in=wanted).order_by().values_list("pk", flat=True))


# How long an answer of `product_exists` is reused at most (a product change makes it stale at
# once; see CATALOGUE_CACHE_NAMESPACE).
PRODUCT_EXISTS_CACHE_SECONDS = 300


def product_exists(*, product_id: int) -> bool:
    """Whether a product (active or not) has this id. Cached under the catalogue version: the
    storefront asks it with every ad request."""
    return cache.get_or_set(
        f"catalogue:{catalogue_version()}:product-exists:{product_id}",
        lambda: Product.objects.filter(pk=product_id).exists(),
        PRODUCT_EXISTS_CACHE_SECONDS,
    )


def product_ids_by_sku(*, skus: Iterable[str]) -> dict[str, int]:
    wanted = set(skus)
    if not wanted:
        return {}
    return dict(Product.objects.filter(sku__in=wanted).order_by().values_list("sku", "pk"))


def customer_ids_by_external_id(*, external_ids: Iterable[str]) -> dict[str, int]:
    wanted = set(external_ids)
    if not wanted:
        return {}
    return dict(
        Customer.objects.filter(external_id__in=wanted).order_by().values_list("external_id", "pk")
    )


def customer_exists(*, customer_id: int) -> bool:
    return Customer.objects.filter(pk=customer_id).exists()


def order_values_for_customers(
    *, placed_before: datetime, profiling_consent_only: bool = True
) -> QuerySet:
    """(customer id, placed_at, total) of the customers' orders placed before `placed_before`
    that turned into revenue (cancelled and returned orders left out), oldest first.

    Guest orders are left out; with `profiling_consent_only` (the default) so are the orders
    of customers who do not allow profiling. One query, streamed with `.iterator()` by
    callers that read many rows.
    """
    orders = Order.objects.filter(customer__isnull=False, placed_at__lt=placed_before).exclude(
        status__in=[Order.Status.CANCELLED, Order.Status.RETURNED]
    )
    if profiling_consent_only:
        orders = orders.filter(customer__profiling_consent=True)
    return orders.order_by("placed_at", "pk").values_list("customer_id", "placed_at", "total")


def customer_for_user(*, user) -> Customer | None:
    """The shop customer linked to a Django user, or None (staff, API clients, anonymous)."""
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "_meta"):
        return None
    try:
        return user.customer
    except Customer.DoesNotExist:
        return None


def review_list_for_product(*, product_id: int) -> QuerySet[Review]:
    return Review.objects.filter(product_id=product_id).order_by("-created_at", "-pk")


def customer_has_bought_product(*, customer: Customer, product_id: int) -> bool:
    """Whether the customer has the product in any order that was not cancelled."""
    return (
        OrderItem.objects.filter(order__customer=customer, product_id=product_id)
        .exclude(order__status=Order.Status.CANCELLED)
        .exists()
    )


def order_list(*, customer: Customer | None = None, all_customers: bool = False) -> QuerySet[Order]:
    """Orders of one customer, or of every customer when `all_customers` (staff).

    With neither, the result is empty: callers must say whose orders they may see.
    """
    orders = Order.objects.annotate(item_count=Count("items"))
    if not all_customers:
        if customer is None:
            return orders.none()
        orders = orders.filter(customer=customer)
    return orders.order_by("-placed_at", "-pk")


def order_list_with_items(
    *, customer: Customer | None = None, all_customers: bool = False
) -> QuerySet[Order]:
    """Like `order_list`, with each order's items and their products prefetched."""
    items = OrderItem.objects.select_related("product").order_by("pk")
    return order_list(customer=customer, all_customers=all_customers).prefetch_related(
        Prefetch("items", queryset=items)
    )


def review_title_pairs_for_training(*, limit: int | None = None) -> list[tuple[str, str]]:
    """(review text, review title) pairs, for teaching the generator the store's voice."""
    rows = (
        Review.objects.exclude(text="")
        .exclude(title="")
        .order_by("created_at", "pk")
        .values_list("text", "title")
    )
    if limit:
        rows = rows[:limit]
    return list(rows)


def review_text_for_model(*, title: str, text: str) -> str:
    """What a model reads of a review: title + ". " + text when both are there, else either."""
    title, text = title.strip(), text.strip()
    if title and text:
        return f"{title}. {text}"
    return title or text


def review_texts_for_training(
    *, review_ids: Iterable[int] | None = None, limit: int | None = None
) -> list[tuple[int, str, int]]:
    """(id, model text, rating) of reviews that have text, oldest first (all, or `review_ids`)."""
    reviews = Review.objects.exclude(text="").order_by("created_at", "pk")
    if review_ids is not None:
        reviews = reviews.filter(pk__in=set(review_ids))
    rows = reviews.values_list("pk", "title", "text", "rating")
    if limit:
        rows = rows[:limit]
    return [
        (pk, review_text_for_model(title=title, text=text), rating)
        for pk, title, text, rating in rows
    ]


def _reviews_with_words(
    *, review_ids: Iterable[int] | None, exclude_ids: Iterable[int] | QuerySet | None
) -> QuerySet[Review]:
    reviews = Review.objects.exclude(text="", title="")
    if review_ids is not None:
        reviews = reviews.filter(pk__in=set(review_ids))
    if exclude_ids is not None:
        reviews = reviews.exclude(pk__in=exclude_ids)
    return reviews


def review_texts_for_scoring(
    *,
    after_id: int = 0,
    limit: int,
    review_ids: Iterable[int] | None = None,
    exclude_ids: Iterable[int] | QuerySet | None = None,
) -> list[tuple[int, str]]:
    """(id, model text) of the next `limit` reviews with a title or text, by ascending id.

    Keyset pagination: pass the last id of one page as `after_id` of the next, which costs
    the same on the last page as on the first. `exclude_ids` may be a QuerySet of ids (a
    subquery that runs in the database, e.g. the reviews already scored).
    """
    reviews = _reviews_with_words(review_ids=review_ids, exclude_ids=exclude_ids)
    rows = reviews.filter(pk__gt=after_id).order_by("pk").values_list("pk", "title", "text")
    return [(pk, review_text_for_model(title=title, text=text)) for pk, title, text in rows[:limit]]


def review_count_for_scoring(
    *,
    review_ids: Iterable[int] | None = None,
    exclude_ids: Iterable[int] | QuerySet | None = None,
) -> int:
    """How many reviews `review_texts_for_scoring` would page through with these filters."""
    return _reviews_with_words(review_ids=review_ids, exclude_ids=exclude_ids).count()


# --- behaviour for the recommenders -----------------------------------------------------------

# Orders that did not end in a sale say nothing about what shoppers want together.
SOLD_STATUSES = (
    Order.Status.PAID,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
)


def event_rows_with_products(
    *, since: datetime | None = None, customer_id: int | None = None, session_id: str = ""
) -> Iterable[tuple[int | None, str, int, str, datetime]]:
    """(customer_id, session_id, product_id, kind, occurred_at) of events that name a product,
    oldest first; optionally only after `since`, or of one customer or one session."""
    from shop.models import Event

    events = Event.objects.filter(product__isnull=False)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if customer_id is not None:
        events = events.filter(customer_id=customer_id)
    if session_id:
        events = events.filter(session_id=session_id)
    return (
        events.order_by("occurred_at", "pk")
        .values_list("customer_id", "session_id", "product_id", "kind", "occurred_at")
        .iterator(chunk_size=5000)
    )


def order_item_rows(
    *, since: datetime | None = None, customer_id: int | None = None
) -> Iterable[tuple[int, int | None, int, datetime]]:
    """(order_id, customer_id, product_id, placed_at) of sold orders' items, oldest first."""
    items = OrderItem.objects.filter(order__status__in=SOLD_STATUSES, quantity__gt=0)
    if since is not None:
        items = items.filter(order__placed_at__gte=since)
    if customer_id is not None:
        items = items.filter(order__customer_id=customer_id)
    return (
        items.order_by("order__placed_at", "order_id", "pk")
        .values_list("order_id", "order__customer_id", "product_id", "order__placed_at")
        .iterator(chunk_size=5000)
    )


def product_weekly_sales_rows(
    *, start: datetime, end: datetime
) -> list[tuple[int, int | None, date, int, Decimal]]:
    """(product id, category id, week, units, revenue) of sold orders' items placed in
    [start, end): one row per product and week with a sale, the week being its local Monday.

    Units and revenue (quantity x unit price paid) are summed over the week's items, so
    revenue / units is the mean price paid that week, discounts included. One query, in
    product then week order.
    """
    rows = (
        OrderItem.objects.filter(
            order__status__in=SOLD_STATUSES,
            order__placed_at__gte=start,
            order__placed_at__lt=end,
            quantity__gt=0,
        )
        .annotate(week=TruncWeek("order__placed_at", output_field=DateField()))
        .values("product_id", "product__category_id", "week")
        .annotate(
            units=Sum("quantity"),
            revenue=Sum(
                F("quantity") * F("unit_price"),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            ),
        )
        .order_by("product_id", "week")
        .values_list("product_id", "product__category_id", "week", "units", "revenue")
    )
    return list(rows)


def product_catalogue_rows() -> list[dict]:
    """Every product with what the recommenders learn from: id, title, description and
    category (id and name), and its price (for exposure by price tier); in id order. (What may
    be shown is decided at serving time.)"""
    return list(
        Product.objects.order_by("pk").values(
            "id", "title", "description", "category_id", "category__name", "price"
        )
    )


def product_cards_available() -> list[dict]:
    """What a storefront list shows of each product that may be shown (active and in stock):
    id, sku, title, price, currency and category name; one query."""
    return list(
        Product.objects.filter(is_active=True, stock__gt=0)
        .order_by("pk")
        .values("id", "sku", "title", "price", "currency", "category__name")
    )


# --- staff home (insights.home) -------------------------------------------------------------
# Orders that turned into revenue: every status except these.
NON_REVENUE_ORDER_STATUSES = (Order.Status.CANCELLED, Order.Status.RETURNED)


def order_totals_in_windows(
    *, windows: dict[str, tuple[datetime, datetime]]
) -> dict[str, dict[str, int | Decimal]]:
    """Per named window `[start, end)`: `orders` (count) and `revenue` (sum of totals) of the
    orders that turned into revenue (cancelled and returned ones left out). One query."""
    from django.db.models import DecimalField, Sum, Value
    from django.db.models.functions import Coalesce

    if not windows:
        return {}
    aggregates = {}
    for name, (start, end) in windows.items():
        in_window = Q(placed_at__gte=start, placed_at__lt=end)
        aggregates[f"{name}_orders"] = Count("pk", filter=in_window)
        aggregates[f"{name}_revenue"] = Coalesce(
            Sum("total", filter=in_window),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    row = (
        Order.objects.exclude(status__in=NON_REVENUE_ORDER_STATUSES)
        .filter(
            placed_at__gte=min(start for start, _ in windows.values()),
            placed_at__lt=max(end for _, end in windows.values()),
        )
        .aggregate(**aggregates)
    )
    return {
        name: {"orders": row[f"{name}_orders"], "revenue": row[f"{name}_revenue"]}
        for name in windows
    }


def order_revenue_per_day(*, start: datetime, end: datetime) -> list[dict]:
    """[{day, orders, revenue}] per local calendar day with revenue orders placed in
    `[start, end)`, oldest first; days without orders are absent. One query."""
    from django.db.models import Sum
    from django.db.models.functions import TruncDate

    return list(
        Order.objects.exclude(status__in=NON_REVENUE_ORDER_STATUSES)
        .filter(placed_at__gte=start, placed_at__lt=end)
        .annotate(day=TruncDate("placed_at"))
        .values("day")
        .annotate(orders=Count("pk"), revenue=Sum("total"))
        .order_by("day")
    )


def product_list_stock_at_risk(
    *, as_of: datetime, window_days: int, max_days_of_cover: float, limit: int
) -> list[Product]:
    """Active products whose stock covers fewer than `max_days_of_cover` days of sales at the
    rate of the last `window_days` days before `as_of`.

    units_sold = units in revenue orders (not cancelled or returned) placed in the window;
    daily_sales = units_sold / window_days; days_of_cover = max(stock, 0) / daily_sales.
    Products that sold nothing in the window are never at risk (no rate to run out at).
    Annotated with `units_sold`, `daily_sales` and `days_of_cover`, fewest days first, at
    most `limit`. One query.
    """
    from datetime import timedelta

    from django.db.models import FloatField, Sum, Value
    from django.db.models.functions import Cast, Greatest

    since = as_of - timedelta(days=window_days)
    sold_in_window = Q(
        order_items__order__placed_at__gte=since, order_items__order__placed_at__lt=as_of
    ) & ~Q(order_items__order__status__in=NON_REVENUE_ORDER_STATUSES)
    products = (
        Product.objects.filter(is_active=True)
        .annotate(units_sold=Sum("order_items__quantity", filter=sold_in_window))
        .filter(units_sold__gt=0)
        .annotate(
            daily_sales=Cast("units_sold", FloatField()) / Value(float(window_days)),
            days_of_cover=Cast(Greatest("stock", Value(0)), FloatField())
            / (Cast("units_sold", FloatField()) / Value(float(window_days))),
        )
        .filter(days_of_cover__lt=max_days_of_cover)
        .order_by("days_of_cover", "-units_sold", "pk")
    )
    return list(products[:limit])


def product_ids_best_selling(
    *, limit: int, category_id: int | None = None, exclude: Iterable[int] = ()
) -> list[int]:
    """Available products by units sold in the last 90 days (then by id): the fallback list
    when no recommender is trained yet."""
    from datetime import timedelta

    from django.db.models import Sum
    from django.utils import timezone

    since = timezone.now() - timedelta(days=90)
    products = Product.objects.filter(is_active=True, stock__gt=0).exclude(pk__in=list(exclude))
    if category_id is not None:
        wanted = category_descendant_ids(category_id=category_id) | {category_id}
        products = products.filter(category_id__in=wanted)
    sold = Sum(
        "order_items__quantity",
        filter=Q(
            order_items__order__placed_at__gte=since,
            order_items__order__status__in=SOLD_STATUSES,
        ),
        default=0,
    )
    return list(
        products.annotate(sold=sold).order_by("-sold", "pk").values_list("pk", flat=True)[:limit]
    )


def products_by_ids(*, product_ids: Iterable[int]) -> dict[int, Product]:
    """Products (with their category and its parent) by id, in one query."""
    return {
        product.pk: product
        for product in Product.objects.select_related("category__parent").filter(
            pk__in=list(product_ids)
        )
    }


def category_names() -> list[str]:
    """The distinct names of the catalogue's categories, sorted."""
    return sorted(set(Category.objects.values_list("name", flat=True)))


def customer_ids_existing(*, customer_ids: Iterable[int]) -> set[int]:
    return set(Customer.objects.filter(pk__in=list(customer_ids)).values_list("pk", flat=True))


# --- behaviour per customer, for models of customers (insights) ------------------------------


def customer_profiling_rows() -> QuerySet:
    """(id, created_at) of every customer whose behaviour may be profiled: consent given and
    personal data not erased. One query."""
    return (
        Customer.objects.filter(profiling_consent=True, erased_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "created_at")
    )


def event_day_rows_for_customers(*, occurred_before: datetime) -> QuerySet:
    """(customer id, local date, kind, query) of the customers' events before the moment,
    guest events left out. Dates are truncated in the current time zone by the database."""
    return (
        Event.objects.filter(customer__isnull=False, occurred_at__lt=occurred_before)
        .annotate(day=TruncDate("occurred_at"))
        .values_list("customer_id", "day", "kind", "query")
    )


def review_day_rows_for_customers(*, created_before: datetime) -> QuerySet:
    """(customer id, local date, rating, title, text) of the customers' reviews before the
    moment (reviews without a customer left out)."""
    return (
        Review.objects.filter(customer__isnull=False, created_at__lt=created_before)
        .annotate(day=TruncDate("created_at"))
        .values_list("customer_id", "day", "rating", "title", "text")
    )
