from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from marketing.models import AdCopy, AdEvent, Campaign
from shop import selectors as shop_selectors

MAX_ID = 2**63 - 1
# Storefront clocks drift; an event further in the future than this is a bug, not drift.
CLOCK_SKEW = timedelta(minutes=5)


class AdQuerySerializer(serializers.Serializer):
    product = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The product being shown."
    )
    customer = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The signed-in customer."
    )
    session = serializers.CharField(
        max_length=64, required=False, help_text="The storefront session (anonymous shoppers)."
    )

    def validate_product(self, value):
        if not shop_selectors.product_exists(product_id=value):
            raise serializers.ValidationError("No such product.")
        return value

    def validate_customer(self, value):
        if not shop_selectors.customer_exists(customer_id=value):
            raise serializers.ValidationError("No such customer.")
        return value

    def validate(self, attrs):
        if not attrs.get("customer") and not attrs.get("session"):
            raise serializers.ValidationError(
                "Give a customer or a session: a shopper keeps one arm of the test."
            )
        return attrs


class AdVariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    product = serializers.IntegerField(source="product_id", allow_null=True)
    channel = serializers.CharField()
    headline = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    call_to_action = serializers.CharField(allow_blank=True)


class AdChoiceSerializer(serializers.Serializer):
    placement = serializers.CharField()
    served = serializers.ChoiceField(
        choices=["variant", "holdout", "none"],
        help_text="variant: show it; holdout: show no ad (report an impression with "
        "holdout=true); none: no approved variant fits.",
    )
    campaign = serializers.IntegerField(allow_null=True, help_text="Report it back.")
    product = serializers.IntegerField(allow_null=True)
    variant = AdVariantSerializer(allow_null=True, help_text="Report its id back.")


# Worded for the ad (and so a schema enum of its own, apart from the recommendation lists').
EVENT_KINDS = [
    (AdEvent.Kind.IMPRESSION.value, "The variant (or the holdout's nothing) was shown"),
    (AdEvent.Kind.CLICK.value, "The variant was clicked"),
]


class AdEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EVENT_KINDS)
    placement = serializers.SlugField(max_length=64)
    variant = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    holdout = serializers.BooleanField(
        default=False, help_text="The shopper was in the holdout (no ad shown)."
    )
    campaign = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Required for the holdout."
    )
    product = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The product shown; defaults to the variant's own product.",
    )
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    session_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False)

    def validate_occurred_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError("In the future.")
        return value

    def validate(self, attrs):
        if not attrs.get("customer") and not attrs.get("session_id"):
            raise serializers.ValidationError("Give a customer or a session_id.")
        if attrs["holdout"]:
            if attrs.get("variant"):
                raise serializers.ValidationError(
                    "A holdout shows no variant; give one or the other."
                )
            if not attrs.get("campaign"):
                raise serializers.ValidationError({"campaign": ["Required for the holdout."]})
            if attrs["kind"] == AdEvent.Kind.CLICK:
                raise serializers.ValidationError({"kind": ["The holdout shows no ad to click."]})
        elif not attrs.get("variant"):
            raise serializers.ValidationError({"variant": ["Give the variant shown, or holdout."]})
        return attrs


class AdEventBatchSerializer(serializers.Serializer):
    events = AdEventSerializer(many=True, allow_empty=False, max_length=1000)

    def validate_events(self, events):
        """Every id must exist and agree with the variant; resolves each row's campaign and
        product. Four queries whatever the batch size."""
        variants = {
            row["pk"]: row
            for row in AdCopy.objects.filter(
                pk__in={e["variant"] for e in events if e.get("variant")}
            ).values("pk", "placement", "campaign_id", "product_id")
        }
        campaigns = set(
            Campaign.objects.filter(
                pk__in={e["campaign"] for e in events if e.get("campaign")}
            ).values_list("pk", flat=True)
        )
        products = shop_selectors.product_ids_existing(
            product_ids={e["product"] for e in events if e.get("product")}
        )
        customers = shop_selectors.customer_ids_existing(
            customer_ids={e["customer"] for e in events if e.get("customer")}
        )
        errors = {}
        for row, event in enumerate(events):
            problems = {}
            variant = variants.get(event.get("variant"))
            if event.get("variant") and variant is None:
                problems["variant"] = ["No such variant."]
            if variant is not None:
                if variant["placement"] != event["placement"]:
                    problems["placement"] = [f"The variant is shown at {variant['placement']}."]
                if event.get("campaign") and event["campaign"] != variant["campaign_id"]:
                    problems["campaign"] = ["The variant belongs to another campaign."]
                if (
                    event.get("product")
                    and variant["product_id"]
                    and event["product"] != variant["product_id"]
                ):
                    problems["product"] = ["The variant is about another product."]
                event["campaign"] = variant["campaign_id"]
                event.setdefault("product", variant["product_id"])
            if event.get("campaign") and event["campaign"] not in campaigns and variant is None:
                problems["campaign"] = ["No such campaign."]
            if event.get("product") and event["product"] not in products:
                problems.setdefault("product", ["No such product."])
            if event.get("customer") and event["customer"] not in customers:
                problems["customer"] = ["No such customer."]
            if problems:
                errors[str(row)] = problems
        if errors:
            raise serializers.ValidationError(errors)
        return events


class VariantReportSerializer(serializers.Serializer):
    variant = serializers.IntegerField()
    headline = serializers.CharField()
    status = serializers.ChoiceField(choices=AdCopy.Status.choices)
    placement = serializers.CharField()
    product = serializers.IntegerField(allow_null=True)
    impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    ctr = serializers.FloatField(allow_null=True, help_text="Clicks per impression.")
    conversions = serializers.IntegerField(
        help_text="Orders of the product by a clicking customer within the window (last click)."
    )
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    conversion_rate = serializers.FloatField(allow_null=True, help_text="Per impression.")
    conversion_rate_low = serializers.FloatField(help_text="Credible interval, lower end.")
    conversion_rate_high = serializers.FloatField(help_text="Credible interval, upper end.")
    probability_best = serializers.FloatField(
        allow_null=True, help_text="P(this variant converts best); null before any impression."
    )


class LiftSerializer(serializers.Serializer):
    mean = serializers.FloatField(help_text="Ads' conversion rate / holdout's - 1.")
    low = serializers.FloatField()
    high = serializers.FloatField()
    probability_positive = serializers.FloatField()


class HoldoutComparisonSerializer(serializers.Serializer):
    ads_shoppers = serializers.IntegerField()
    ads_converted = serializers.IntegerField()
    ads_conversion_rate = serializers.FloatField(allow_null=True)
    holdout_shoppers = serializers.IntegerField()
    holdout_converted = serializers.IntegerField()
    holdout_conversion_rate = serializers.FloatField(allow_null=True)
    lift = LiftSerializer(allow_null=True, help_text="Null until both arms have shoppers.")


class CampaignReportSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    name = serializers.CharField()
    holdout_share = serializers.FloatField()
    conversion_window_days = serializers.IntegerField()
    credible_level = serializers.FloatField()
    winner = serializers.IntegerField(
        allow_null=True,
        help_text="The variant that converts best with at least winner_threshold probability; "
        "null until one does.",
    )
    winner_threshold = serializers.FloatField()
    variants = VariantReportSerializer(many=True)
    holdout = HoldoutComparisonSerializer()
