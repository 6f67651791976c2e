"""Serializers of the staff insights API on aspects and sentiment alerts."""

from rest_framework import serializers

from insights.models import Aspect, SentimentAlert


class AlertListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=SentimentAlert.Status.choices, required=False, help_text="Only this status."
    )
    product = serializers.IntegerField(min_value=1, required=False, help_text="Only this product.")


class AlertProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    title = serializers.CharField()


class AlertEvidenceSerializer(serializers.Serializer):
    review_id = serializers.IntegerField()
    sentence = serializers.CharField()
    aspect = serializers.CharField(
        required=False, help_text="The aspect of the sentence (product-level alerts only)."
    )


class AlertOutputSerializer(serializers.ModelSerializer):
    product = AlertProductSerializer(read_only=True)
    aspect = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text="Null: the whole product."
    )
    recent_share = serializers.FloatField(read_only=True)
    baseline_share = serializers.FloatField(read_only=True)
    evidence = AlertEvidenceSerializer(many=True, read_only=True)
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = SentimentAlert
        fields = [
            "id",
            "product",
            "aspect",
            "status",
            "window_start",
            "window_end",
            "recent_negative",
            "recent_total",
            "recent_share",
            "baseline_negative",
            "baseline_total",
            "baseline_share",
            "statistic",
            "p_value",
            "test",
            "evidence",
            "created_at",
            "resolved_by",
            "resolved_at",
        ]
        read_only_fields = fields


class AspectOutputSerializer(serializers.ModelSerializer):
    examples = serializers.ListField(
        child=serializers.CharField(), source="example_list", read_only=True
    )
    mention_count = serializers.IntegerField(read_only=True)
    negative_count = serializers.IntegerField(read_only=True)
    positive_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Aspect
        fields = [
            "id",
            "name",
            "description",
            "examples",
            "is_active",
            "mention_count",
            "negative_count",
            "positive_count",
        ]
        read_only_fields = fields
