"""Serializers of the review sentiment API."""

from rest_framework import serializers

from insights.selectors.sentiment import GROUPS, PERIODS


class LabelCountsSerializer(serializers.Serializer):
    negative = serializers.IntegerField()
    neutral = serializers.IntegerField()
    positive = serializers.IntegerField()


class LabelSharesSerializer(serializers.Serializer):
    negative = serializers.FloatField()
    neutral = serializers.FloatField()
    positive = serializers.FloatField()


class SentimentDistributionSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Scored reviews.")
    counts = LabelCountsSerializer()
    shares = LabelSharesSerializer(help_text="count / total per label; 0 when total is 0.")


class ModelVersionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task = serializers.CharField()
    version = serializers.IntegerField()


class ProductSentimentOutputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    distribution = SentimentDistributionSerializer(
        help_text="Labels the sentiment model gave the product's reviews."
    )
    model_version = ModelVersionRefSerializer(
        allow_null=True, help_text="The champion sentiment model; null before the first one."
    )
    aspects = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per aspect: mentions, positive/neutral/negative counts, share_negative "
        "and evidence examples (review_id, sentence, label); most mentioned first.",
    )
    summary = serializers.DictField(
        allow_null=True,
        help_text="Pros and cons with counts and the reviews they come from; null if none yet.",
    )


class SentimentTrendQuerySerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=GROUPS, default="category")
    period = serializers.ChoiceField(choices=sorted(PERIODS), default="week")
    since = serializers.DateField(required=False, help_text="Reviews written on or after.")
    until = serializers.DateField(required=False, help_text="Reviews written before.")
    category_id = serializers.IntegerField(
        min_value=1, required=False, help_text="Only this category."
    )

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since >= until:
            raise serializers.ValidationError({"until": "Must be after since."})
        return attrs


class SentimentTrendRowSerializer(SentimentDistributionSerializer):
    period_start = serializers.DateField(help_text="Monday of the week, or the 1st of the month.")
    category_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="With group=category."
    )
    category = serializers.CharField(
        required=False, allow_null=True, help_text="With group=category."
    )
    product_id = serializers.IntegerField(required=False, help_text="With group=product.")
    product = serializers.CharField(required=False, help_text="With group=product.")

    def to_representation(self, instance):
        # Only the keys of the requested group: a store-wide row has no category at all.
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if key in instance}


class SentimentTrendOutputSerializer(serializers.Serializer):
    group = serializers.CharField()
    period = serializers.CharField()
    model_version = ModelVersionRefSerializer(allow_null=True)
    results = SentimentTrendRowSerializer(many=True)


class SentimentRescoreOutputSerializer(serializers.Serializer):
    job_id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
