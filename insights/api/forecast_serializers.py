"""Serializers of the staff insights API on sales forecasts and reorder suggestions."""

from rest_framework import serializers

from insights.models import SalesForecast, SalesForecastPoint, SalesForecastRun


class ForecastRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SalesForecastRun
        fields = ["id", "as_of", "created_at", "frequency", "horizon", "season_length"]


class ForecastPointSerializer(serializers.ModelSerializer):
    period = serializers.DateField(help_text="First day of the period (Monday for weeks).")
    point = serializers.FloatField(help_text="Expected units sold in the period.")
    lo80 = serializers.FloatField(help_text="Lower bound of the 80% prediction interval.")
    hi80 = serializers.FloatField(help_text="Upper bound of the 80% prediction interval.")
    lo95 = serializers.FloatField(help_text="Lower bound of the 95% prediction interval.")
    hi95 = serializers.FloatField(help_text="Upper bound of the 95% prediction interval.")

    class Meta:
        model = SalesForecastPoint
        fields = ["period", "step", "point", "lo80", "hi80", "lo95", "hi95", "flag"]


class HistoryPointSerializer(serializers.Serializer):
    period = serializers.DateField()
    units = serializers.FloatField()

    def to_representation(self, instance):
        period, units = instance
        return {"period": period, "units": units}


class ForecastSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="The product's title or category's name.")
    cv_scaled_error = serializers.DictField(
        child=serializers.FloatField(),
        help_text="Cross-validated error of every candidate model (RMSE) divided by the "
        "series' in-sample seasonal naive MAE; lower is better.",
    )
    points = ForecastPointSerializer(many=True)

    class Meta:
        model = SalesForecast
        fields = [
            "id",
            "kind",
            "product_id",
            "category_id",
            "name",
            "tier",
            "model",
            "baseline",
            "cv_scaled_error",
            "history_length",
            "points",
        ]

    def get_name(self, forecast: SalesForecast) -> str:
        target = (
            forecast.product if forecast.kind == SalesForecast.Kind.PRODUCT else forecast.category
        )
        return str(target.title if forecast.kind == SalesForecast.Kind.PRODUCT else target.name)


class ForecastDetailSerializer(ForecastSerializer):
    run = ForecastRunSerializer()
    history = HistoryPointSerializer(
        many=True, help_text="Units sold in the most recent periods before the forecast."
    )

    class Meta(ForecastSerializer.Meta):
        fields = [*ForecastSerializer.Meta.fields, "run", "history"]


class ForecastListQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SalesForecast.Kind.choices, required=False)


class ForecastListOutputSerializer(serializers.Serializer):
    run = ForecastRunSerializer(allow_null=True, help_text="Null before the first run.")
    results = ForecastSerializer(many=True)


class ReorderQuerySerializer(serializers.Serializer):
    service_level = serializers.FloatField(
        required=False,
        min_value=0.5,
        max_value=0.999,
        help_text="Wanted probability of not running out before a delivery (default: the "
        "store's INSIGHTS_SERVICE_LEVEL).",
    )
    at_risk = serializers.BooleanField(
        required=False, default=False, help_text="Only products at risk of running out."
    )


class ReorderSuggestionSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    title = serializers.CharField()
    stock = serializers.IntegerField(help_text="Units on hand now.")
    lead_time_days = serializers.FloatField()
    review_days = serializers.FloatField()
    service_level = serializers.FloatField()
    lead_time_demand = serializers.FloatField(help_text="Expected units sold over the lead time.")
    lead_time_sd = serializers.FloatField(help_text="Its standard deviation.")
    safety_stock = serializers.FloatField(help_text="z(service level) x lead_time_sd.")
    reorder_point = serializers.FloatField(help_text="lead_time_demand + safety_stock.")
    order_up_to = serializers.FloatField()
    quantity = serializers.IntegerField(help_text="Units to order now (0: no order needed).")
    stockout_probability = serializers.FloatField(
        help_text="P(demand over the lead time exceeds the stock), without a new order."
    )
    days_of_cover = serializers.FloatField(
        allow_null=True,
        help_text="Days the stock lasts at the expected rate; null: beyond the forecast.",
    )
    at_risk = serializers.BooleanField(help_text="stock <= reorder point.")
    model = serializers.CharField(help_text="The forecast model behind the numbers.")


class ReorderListOutputSerializer(serializers.Serializer):
    run = ForecastRunSerializer(allow_null=True)
    results = ReorderSuggestionSerializer(many=True)


class SalesLiftSerializer(serializers.Serializer):
    effect = serializers.FloatField(help_text="Incremental outcome per campaign product.")
    standard_error = serializers.FloatField()
    low = serializers.FloatField(help_text="95% confidence interval, low end (per product).")
    high = serializers.FloatField(help_text="95% confidence interval, high end (per product).")
    incremental_total = serializers.FloatField(help_text="effect x campaign products.")
    total_low = serializers.FloatField()
    total_high = serializers.FloatField()
    significant = serializers.BooleanField(help_text="The interval excludes zero.")

    def to_representation(self, lift):
        low, high = lift.total_interval
        return super().to_representation(
            {
                "effect": lift.effect,
                "standard_error": lift.standard_error,
                "low": lift.low,
                "high": lift.high,
                "incremental_total": lift.incremental_total,
                "total_low": low,
                "total_high": high,
                "significant": lift.significant,
            }
        )


class CampaignLiftOutputSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    design = serializers.CharField(help_text="difference_in_differences (on products).")
    before_start = serializers.DateField()
    before_end = serializers.DateField()
    during_start = serializers.DateField()
    during_end = serializers.DateField()
    campaign_products = serializers.IntegerField()
    control_products = serializers.IntegerField()
    units = SalesLiftSerializer()
    revenue = SalesLiftSerializer()
    assumption = serializers.CharField()
