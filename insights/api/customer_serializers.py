"""Serializers of the staff insights API on customer segments and value."""

from rest_framework import serializers

from insights.models import SEGMENT_CHOICES, CustomerScore
from insights.selectors import customers as selectors


class SegmentRowSerializer(serializers.Serializer):
    segment = serializers.ChoiceField(choices=SEGMENT_CHOICES, source="key")
    name = serializers.CharField()
    rule = serializers.CharField(
        help_text='The rule on the RFM quintile scores, e.g. "R 5 and F 4-5".'
    )
    description = serializers.CharField()
    count = serializers.IntegerField(help_text="Customers in the segment.")
    share = serializers.FloatField(help_text="count / all scored customers (0 when none).")
    mean_clv = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="Mean expected lifetime value of the segment's customers; null when unknown.",
    )
    mean_churn_risk = serializers.FloatField(allow_null=True)


class SegmentListOutputSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        allow_null=True, help_text="Day the scores were computed as of; null before the first run."
    )
    computed_at = serializers.DateTimeField(allow_null=True)
    total = serializers.IntegerField(help_text="Customers scored.")
    results = SegmentRowSerializer(
        many=True, help_text="Every segment in rule order, empty ones too."
    )


class CustomerScoreOutputSerializer(serializers.ModelSerializer):
    customer_id = serializers.IntegerField()
    segment = serializers.ChoiceField(choices=SEGMENT_CHOICES, help_text="The segment's key.")
    segment_name = serializers.SerializerMethodField()
    segment_rule = serializers.SerializerMethodField(
        help_text='The rule on the RFM scores, e.g. "R 1-2 and F 3-5".'
    )
    segment_description = serializers.SerializerMethodField()
    as_of = serializers.DateField(source="run.as_of")
    horizon_months = serializers.IntegerField(
        source="run.horizon_months",
        help_text="Horizon of expected_purchases and clv.",
    )
    run_id = serializers.IntegerField()
    job_id = serializers.IntegerField(
        source="run.job_id", allow_null=True, help_text="The job that computed it, if any."
    )

    class Meta:
        model = CustomerScore
        fields = [
            "customer_id",
            "segment",
            "segment_name",
            "segment_rule",
            "segment_description",
            "recency_days",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
            "probability_alive",
            "churn_risk",
            "expected_purchases",
            "expected_spend",
            "clv",
            "as_of",
            "horizon_months",
            "computed_at",
            "run_id",
            "job_id",
        ]
        read_only_fields = fields

    def _segment(self, obj: CustomerScore, key: str) -> str | None:
        rule = selectors.segment_rule_of(key=obj.segment)
        return rule[key] if rule else None

    def get_segment_name(self, obj: CustomerScore) -> str | None:
        return self._segment(obj, "name")

    def get_segment_rule(self, obj: CustomerScore) -> str | None:
        return self._segment(obj, "rule")

    def get_segment_description(self, obj: CustomerScore) -> str | None:
        return self._segment(obj, "description")
