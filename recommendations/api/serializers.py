from rest_framework import serializers

from recommendations.models import ListEvent, ListType


class ListQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class ForYouQuerySerializer(ListQuerySerializer):
    customer = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="The customer to recommend for (staff and storefront). A customer token "
        "always gets its own list.",
    )
    session = serializers.CharField(
        max_length=64,
        required=False,
        help_text="The storefront session: its recent events count at once.",
    )


class TrendingQuerySerializer(ListQuerySerializer):
    category = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="Only this category."
    )


class RecommendedProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    title = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    category = serializers.CharField(allow_null=True)


class RecommendedItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    product = RecommendedProductSerializer()
    score = serializers.FloatField()
    reason = serializers.CharField(help_text="Reason code: viewed, bought_with, similar, ...")
    reason_text = serializers.CharField(help_text="What to show the shopper.")
    anchor_product = serializers.IntegerField(
        allow_null=True, help_text='The product behind the reason ("because you viewed").'
    )


class RecommendationListSerializer(serializers.Serializer):
    list = serializers.ChoiceField(choices=ListType.choices)
    model_version = serializers.IntegerField(
        allow_null=True, help_text="Report it back with impressions and clicks."
    )
    model_version_label = serializers.CharField(allow_null=True)
    fallback = serializers.CharField(
        allow_blank=True, help_text="Why a fallback list served; empty for the model's own."
    )
    items = RecommendedItemSerializer(many=True)


class ListEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ListEvent.Kind.choices)
    list = serializers.ChoiceField(choices=ListType.choices)
    position = serializers.IntegerField(min_value=1, max_value=1000)
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    customer = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    session_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    model_version = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    occurred_at = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if not attrs.get("customer") and not attrs.get("session_id"):
            raise serializers.ValidationError("Give a customer or a session_id.")
        return attrs


class ListEventBatchSerializer(serializers.Serializer):
    events = ListEventSerializer(many=True, allow_empty=False, max_length=1000)

    def validate_events(self, events):
        from ml.models import ModelVersion
        from shop import selectors as shop_selectors

        products = shop_selectors.product_ids_existing(product_ids={e["product"] for e in events})
        customers = {e["customer"] for e in events if e.get("customer")}
        known_customers = shop_selectors.customer_ids_existing(customer_ids=customers)
        versions = {e["model_version"] for e in events if e.get("model_version")}
        known_versions = set(
            ModelVersion.objects.filter(pk__in=versions).values_list("pk", flat=True)
        )
        errors = {}
        for row, event in enumerate(events):
            problems = {}
            if event["product"] not in products:
                problems["product"] = ["No such product."]
            if event.get("customer") and event["customer"] not in known_customers:
                problems["customer"] = ["No such customer."]
            if event.get("model_version") and event["model_version"] not in known_versions:
                problems["model_version"] = ["No such model version."]
            if problems:
                errors[str(row)] = problems
        if errors:
            raise serializers.ValidationError(errors)
        return events


class ListReportRowSerializer(serializers.Serializer):
    list = serializers.CharField()
    model_version = serializers.IntegerField(allow_null=True)
    model_version_label = serializers.CharField(allow_null=True)
    impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    ctr = serializers.FloatField(allow_null=True)
    conversions = serializers.IntegerField()
    conversion_rate = serializers.FloatField(allow_null=True)
