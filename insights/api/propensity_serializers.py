"""Serializers of the staff insights API on purchase propensity."""

from rest_framework import serializers

from insights.models import PurchasePropensity


class PropensityListQuerySerializer(serializers.Serializer):
    min_probability = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        help_text="Only customers at or above this probability (a campaign target list).",
    )


class PropensityReasonSerializer(serializers.Serializer):
    feature = serializers.CharField()
    label = serializers.CharField(help_text="The feature in words.")
    value = serializers.FloatField(
        allow_null=True, help_text="The customer's value (null for the text features)."
    )
    effect = serializers.FloatField(help_text="Contribution to the log-odds.")
    direction = serializers.ChoiceField(choices=["raises", "lowers"])


class PropensityOutputSerializer(serializers.ModelSerializer):
    customer_id = serializers.IntegerField()
    model_version = serializers.IntegerField(
        source="model_version.version", help_text="Version of the purchase_propensity model."
    )
    reasons = PropensityReasonSerializer(many=True)

    class Meta:
        model = PurchasePropensity
        fields = [
            "customer_id",
            "probability",
            "horizon_days",
            "reasons",
            "model_version",
            "scored_at",
        ]
