"""Serializers of the staff insights API on behaviour clusters and search topics."""

from rest_framework import serializers

from insights.models import BehaviourCluster, BehaviourClusterAssignment, SearchTopic


class ClusterOutputSerializer(serializers.ModelSerializer):
    facts = serializers.JSONField(
        help_text="size, share, top_categories [{name, share}], price_level, price_band, "
        "orders_per_customer, buyers_share, spend_per_customer, aov, conversion, "
        "search_share, reviews_per_customer, median_recency_days."
    )
    centroid = serializers.JSONField(help_text="{feature: mean standardised value}.")

    class Meta:
        model = BehaviourCluster
        fields = ["id", "number", "name", "name_source", "rule_name", "size", "facts", "centroid"]
        read_only_fields = fields


class ClusterListOutputSerializer(serializers.Serializer):
    run_id = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    k = serializers.IntegerField(allow_null=True)
    silhouette = serializers.FloatField(allow_null=True)
    customers = serializers.IntegerField()
    features = serializers.ListField(child=serializers.CharField())
    results = ClusterOutputSerializer(many=True)


class ClusterCustomerOutputSerializer(serializers.ModelSerializer):
    customer_id = serializers.IntegerField()
    email = serializers.EmailField(source="customer.email", allow_null=True)
    name = serializers.CharField(source="customer.name")
    marketing_consent = serializers.BooleanField(source="customer.marketing_consent")

    class Meta:
        model = BehaviourClusterAssignment
        fields = ["customer_id", "email", "name", "marketing_consent", "distance"]
        read_only_fields = fields


class ClusterCustomersQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)
    marketing_consent = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="Only customers who (true) or who do not (false) accept marketing.",
    )  # fmt: skip


class ClusterCustomerPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = ClusterCustomerOutputSerializer(many=True)


class SearchTopicQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SearchTopic.Kind.choices, required=False)
    rising = serializers.BooleanField(required=False, allow_null=True, default=None)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)


class SearchTopicOutputSerializer(serializers.ModelSerializer):
    examples = serializers.JSONField(help_text="[[query, searches]], most searched first.")
    weekly = serializers.ListField(child=serializers.IntegerField())

    class Meta:
        model = SearchTopic
        fields = [
            "id",
            "kind",
            "label",
            "volume",
            "distinct_queries",
            "examples",
            "weekly",
            "this_week",
            "baseline_mean",
            "growth",
            "rising",
            "best_similarity",
        ]
        read_only_fields = fields


class SearchTopicListOutputSerializer(serializers.Serializer):
    run_id = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    week_starts = serializers.ListField(child=serializers.DateField())
    weekly_volume = serializers.ListField(child=serializers.IntegerField())
    rules = serializers.JSONField(help_text="The thresholds and the rising rule of the run.")
    results = SearchTopicOutputSerializer(many=True)
