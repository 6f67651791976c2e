from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


def default_currency() -> str:
    return settings.STORE_CURRENCY


class Category(models.Model):
    """A node of the catalogue tree; `parent` is null for a root."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=160, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="category_unique_name_in_parent"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="category_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    unit_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="What one unit costs the store, in the product's currency; empty when not "
        "known. Price suggestions need it (margin floor). Never shown on the storefront.",
    )
    currency = models.CharField(max_length=3, default=default_currency)
    stock = models.IntegerField(default=0)
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    # Denormalised aggregates, recomputed by the `rating_aggregates` job.
    review_count = models.PositiveIntegerField(default=0)
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0),
                name="product_unit_cost_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "category"], name="product_active_category"),
            models.Index(fields=["is_active", "title"], name="product_active_title"),
            models.Index(fields=["created_at"], name="product_created"),
            models.Index(fields=["is_active", "price"], name="product_active_price"),
            models.Index(fields=["is_active", "rating_average"], name="product_active_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.sku})"


class Customer(models.Model):
    """A shopper. Personal data fields are listed in `shop.privacy.PII_FIELDS`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    external_id = models.CharField(max_length=64, unique=True)
    email = models.EmailField(unique=True, null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=80, blank=True)
    marketing_consent = models.BooleanField(default=False)
    profiling_consent = models.BooleanField(
        default=True, help_text="May the store use this customer's behaviour for personalisation?"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the customer's personal data was erased (shop.privacy.services); the "
        "row stays as an anonymous placeholder that keeps the orders.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["country"], name="customer_country"),
            models.Index(fields=["-created_at"], name="customer_created"),
            models.Index(
                fields=["erased_at"],
                name="customer_erased",
                condition=Q(erased_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        RETURNED = "returned", "Returned"

    number = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        help_text="Empty for a guest order.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PAID)
    currency = models.CharField(max_length=3, default=default_currency)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    country = models.CharField(max_length=80, blank=True)
    placed_at = models.DateTimeField()

    class Meta:
        ordering = ["-placed_at"]
        indexes = [
            models.Index(fields=["customer", "-placed_at"], name="order_customer_placed"),
            models.Index(fields=["status", "-placed_at"], name="order_status_placed"),
            # The admin's currency filter reads the currencies from it (DistinctValuesFilter)
            # and a filtered list comes from it in placed_at order.
            models.Index(fields=["currency", "-placed_at"], name="order_currency_placed"),
            models.Index(fields=["-placed_at"], name="order_placed"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    quantity = models.IntegerField()
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Price at the time of purchase."
    )

    class Meta:
        indexes = [models.Index(fields=["product", "order"], name="orderitem_product_order")]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="orderitem_quantity_not_zero"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="orderitem_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id} in {self.order_id}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    title = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"
            ),
            models.UniqueConstraint(
                fields=["product", "customer"],
                condition=Q(customer__isnull=False),
                name="review_one_per_customer_product",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="review_product_created"),
            models.Index(fields=["-created_at"], name="review_created"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ on {self.product_id}"


class Event(models.Model):
    """One behaviour event from the storefront."""

    class Kind(models.TextChoices):
        VIEW = "view", "View"
        SEARCH = "search", "Search"
        CLICK = "click", "Click"
        ADD_TO_CART = "add_to_cart", "Add to cart"
        PURCHASE = "purchase", "Purchase"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    session_id = models.CharField(max_length=64, blank=True)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    query = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=32, default="web")

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(session_id=""),
                name="event_has_customer_or_session",
            ),
            models.CheckConstraint(
                condition=Q(kind="search") | Q(product__isnull=False),
                name="event_product_unless_search",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="event_customer_time"),
            models.Index(fields=["session_id", "occurred_at"], name="event_session_time"),
            models.Index(fields=["product", "kind"], name="event_product_kind"),
            models.Index(fields=["kind", "occurred_at"], name="event_kind_time"),
            models.Index(fields=["-occurred_at"], name="event_time"),
            models.Index(fields=["source", "occurred_at"], name="event_source_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ApiKey(models.Model):
    """A key for the storefront server. Only the SHA-256 of the key is stored."""

    class Scope(models.TextChoices):
        CATALOGUE_READ = "catalogue:read", "Read the catalogue"
        EVENTS_WRITE = "events:write", "Send behaviour events"
        REVIEWS_READ = "reviews:read", "Read reviews"
        RECOMMENDATIONS_READ = "recommendations:read", "Read recommendations"
        ADS_READ = "ads:read", "Read ad variants"
        SUPPORT_CHAT = "support:chat", "Talk to the support assistant"

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
