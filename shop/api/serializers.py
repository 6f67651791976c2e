"""Input and output serializers of the store's API. Inputs only parse and validate; outputs
only render. Reads go through `shop.selectors`, writes through `shop.services`.
"""

from datetime import timedelta

from django.contrib.auth import authenticate
from django.utils import timezone
from rest_framework import serializers

from shop.models import Category, Event, Order, OrderItem, Product, Review
from shop.selectors import (
    DEFAULT_PRODUCT_ORDERING,
    PRODUCT_ORDERINGS,
    customer_for_user,
    customer_ids_by_external_id,
    product_ids_by_sku,
    product_ids_existing,
)
from shop.services import EventData

MAX_EVENTS_PER_BATCH = 500
# Storefront clocks drift; an event a little in the future is accepted, a day ahead is not.
EVENT_CLOCK_SKEW = timedelta(minutes=5)

# --- Customer tokens ----------------------------------------------------------------------


class CustomerTokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        # One message for every failure, so the endpoint does not reveal which accounts exist
        # or which of them are customers.
        if user is None or customer_for_user(user=user) is None:
            raise serializers.ValidationError(
                "Unable to log in with these credentials.", code="authorization"
            )
        attrs["user"] = user
        return attrs


class CustomerTokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


# --- Catalogue ------------------------------------------------------------------------------


class CategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent"]
        read_only_fields = fields


class CategorySummaryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class ProductListQuerySerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(),
        required=False,
        help_text="Only products of this category or any category below it.",
    )
    # An empty bound (`price_min=`, as a storefront form sends it) means no bound.
    price_min = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    price_max = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    in_stock = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: stock above zero; false: none in stock.",
    )
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        help_text="Case-insensitive match in the title, description or SKU.",
    )
    ordering = serializers.ChoiceField(
        choices=list(PRODUCT_ORDERINGS), default=DEFAULT_PRODUCT_ORDERING
    )

    def validate(self, attrs):
        price_min, price_max = attrs.get("price_min"), attrs.get("price_max")
        if price_min is not None and price_max is not None and price_min > price_max:
            raise serializers.ValidationError(
                {"price_max": ["Must be greater than or equal to price_min."]}
            )
        return attrs


class ProductOutputSerializer(serializers.ModelSerializer):
    category = CategorySummaryOutputSerializer(allow_null=True, read_only=True)
    in_stock = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "title",
            "description",
            "category",
            "price",
            "currency",
            "stock",
            "in_stock",
            "attributes",
            "is_active",
            "review_count",
            "rating_average",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_in_stock(self, product: Product) -> bool:
        return product.stock > 0


# --- Reviews --------------------------------------------------------------------------------


class ReviewOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        # The author is a customer: personal data, so not part of the public review.
        fields = ["id", "product", "rating", "title", "text", "created_at"]
        read_only_fields = fields


class ReviewCreateInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    text = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")


# --- Orders ---------------------------------------------------------------------------------


class OrderProductOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "sku", "title"]
        read_only_fields = fields


class OrderItemOutputSerializer(serializers.ModelSerializer):
    product = OrderProductOutputSerializer(read_only=True)
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = OrderItem
        fields = ["id", "product", "quantity", "unit_price", "line_total"]
        read_only_fields = fields


class OrderOutputSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "customer",
            "status",
            "currency",
            "subtotal",
            "total",
            "placed_at",
            "item_count",
        ]
        read_only_fields = fields


class OrderDetailOutputSerializer(OrderOutputSerializer):
    items = OrderItemOutputSerializer(many=True, read_only=True)

    class Meta(OrderOutputSerializer.Meta):
        fields = [*OrderOutputSerializer.Meta.fields, "items"]
        read_only_fields = fields


# --- Behaviour events -----------------------------------------------------------------------


class EventInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Event.Kind.choices)
    occurred_at = serializers.DateTimeField()
    product_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    product_sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
    customer_external_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    session_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    query = serializers.CharField(max_length=255, required=False, allow_blank=True)
    source = serializers.CharField(max_length=32, required=False, default="web")

    def validate(self, attrs):
        errors: dict[str, list[str]] = {}
        has_product_id = attrs.get("product_id") is not None
        has_product_sku = bool(attrs.get("product_sku"))
        if has_product_id and has_product_sku:
            errors["product_sku"] = ["Give product_id or product_sku, not both."]
        if attrs["kind"] == Event.Kind.SEARCH:
            if not attrs.get("query"):
                errors["query"] = ["A search event needs its query."]
        elif not (has_product_id or has_product_sku):
            errors["product_id"] = [f"A {attrs['kind']} event needs product_id or product_sku."]
        if not attrs.get("customer_external_id") and not attrs.get("session_id"):
            errors["session_id"] = ["Give customer_external_id or, for a visitor, session_id."]
        if attrs["occurred_at"] > timezone.now() + EVENT_CLOCK_SKEW:
            errors["occurred_at"] = ["Must not be in the future."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class EventListField(serializers.ListField):
    """A list whose length is checked before its items, so an oversized batch costs nothing."""

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class EventBatchInputSerializer(serializers.Serializer):
    events = EventListField(
        child=EventInputSerializer(),
        allow_empty=False,
        min_length=1,
        max_length=MAX_EVENTS_PER_BATCH,
        help_text=f"1 to {MAX_EVENTS_PER_BATCH} events; errors are keyed by the event's index.",
    )

    def validate_events(self, events: list[dict]) -> list[EventData]:
        """Resolve SKUs, product ids and customers' external ids (three queries in all)."""
        known_ids = product_ids_existing(
            product_ids=[e["product_id"] for e in events if e.get("product_id") is not None]
        )
        id_by_sku = product_ids_by_sku(
            skus=[e["product_sku"] for e in events if e.get("product_sku")]
        )
        id_by_external_id = customer_ids_by_external_id(
            external_ids=[
                e["customer_external_id"] for e in events if e.get("customer_external_id")
            ]
        )
        errors: dict[int, dict[str, list[str]]] = {}
        resolved: list[EventData] = []
        for index, event in enumerate(events):
            event_errors: dict[str, list[str]] = {}
            product_id = event.get("product_id")
            if product_id is not None and product_id not in known_ids:
                event_errors["product_id"] = [f"No product has id {product_id}."]
            sku = event.get("product_sku")
            if sku:
                product_id = id_by_sku.get(sku)
                if product_id is None:
                    event_errors["product_sku"] = [f"No product has SKU {sku!r}."]
            external_id = event.get("customer_external_id")
            customer_id = id_by_external_id.get(external_id) if external_id else None
            if external_id and customer_id is None:
                event_errors["customer_external_id"] = [f"No customer has id {external_id!r}."]
            if event_errors:
                errors[index] = event_errors
                continue
            resolved.append(
                EventData(
                    kind=event["kind"],
                    occurred_at=event["occurred_at"],
                    product_id=product_id,
                    customer_id=customer_id,
                    session_id=event.get("session_id", ""),
                    query=event.get("query", ""),
                    source=event["source"],
                )
            )
        if errors:
            raise serializers.ValidationError(errors)
        return resolved


class EventBatchOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="How many events were stored.")
