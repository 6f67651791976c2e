"""Reads of campaign effect: incremental units and revenue of a finished campaign, by
difference in differences on products (`insights.forecast_engine.campaign`).

The campaign's products are its target products, else the products of its target category
(and the category's descendants). Every other product that sold in either window is the
control. Each product's outcome is its units (and revenue) in sold orders
(`shop.selectors.SOLD_STATUSES`) during the campaign, `starts_on` .. `ends_on`, and in the
same number of days just before it. The effect per campaign product is
mean(change of campaign products) - mean(change of control products), with a Welch 95%
interval; the total is that times the number of campaign products. Shoppers the campaign
held out are not recorded per customer, so the holdout design (`holdout_lift`) cannot be
used here; the parallel-trends assumption of the product comparison is stated with the
result.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from insights.exceptions import CampaignLiftUnavailable, CampaignNotFound
from insights.forecast_engine.campaign import Lift, difference_in_differences
from marketing import selectors as marketing_selectors
from shop import selectors as shop_selectors
from shop.models import OrderItem


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _per_product(start: date, end: date) -> dict[int, tuple[float, float]]:
    """{product id: (units, revenue)} of sold items placed on days start .. end - 1."""
    revenue = ExpressionWrapper(
        F("unit_price") * F("quantity"), output_field=DecimalField(max_digits=14, decimal_places=2)
    )
    rows = (
        OrderItem.objects.filter(
            order__status__in=shop_selectors.SOLD_STATUSES,
            order__placed_at__gte=_start_of(start),
            order__placed_at__lt=_start_of(end),
        )
        .values("product_id")
        .annotate(units=Sum("quantity"), revenue=Sum(revenue))
        .order_by()
    )
    return {
        row["product_id"]: (float(row["units"]), float(row["revenue"] or Decimal("0")))
        for row in rows
    }


def _campaign_groups(*, campaign_id: int, today: date | None, so_far: bool = False) -> dict:
    """The finished campaign (with `so_far`, also a running one, up to yesterday), its
    windows, and the campaign and control products that sold in either window, with each
    product's (units, revenue) per window."""
    campaign = marketing_selectors.campaign_get(campaign_id=campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"No campaign {campaign_id}.")
    today = today or timezone.localdate()
    last_day = campaign.ends_on
    if campaign.ends_on >= today:
        if not so_far:
            raise CampaignLiftUnavailable(
                f"Campaign {campaign_id} runs until {campaign.ends_on}: its effect is measured "
                "once it has ended."
            )
        if campaign.starts_on >= today:
            raise CampaignLiftUnavailable(
                f"Campaign {campaign_id} has no full day behind it yet (it started on "
                f"{campaign.starts_on})."
            )
        last_day = today - timedelta(days=1)
    treated_ids = set(campaign.target_products.values_list("pk", flat=True))
    if not treated_ids and campaign.target_category_id:
        # The category and its descendants, inactive products included (they may have sold).
        treated_ids = set(
            shop_selectors.product_list(
                include_inactive=True, category_id=campaign.target_category_id
            ).values_list("pk", flat=True)
        )
    if not treated_ids:
        raise CampaignLiftUnavailable(
            f"Campaign {campaign_id} names no products or category to measure."
        )
    days = (last_day - campaign.starts_on).days + 1
    during_start, during_end = campaign.starts_on, last_day + timedelta(days=1)
    before_start = campaign.starts_on - timedelta(days=days)
    during = _per_product(during_start, during_end)
    before = _per_product(before_start, during_start)
    sold = set(during) | set(before)
    treated = sorted(sold & treated_ids)
    control = sorted(sold - treated_ids)
    if len(treated) < 2 or len(control) < 2:
        raise CampaignLiftUnavailable(
            f"Campaign {campaign_id} has {len(treated)} campaign and {len(control)} other "
            "products with sales around it; at least two of each are needed."
        )
    return {
        "campaign": campaign,
        "before_start": before_start,
        "during_start": during_start,
        "during_end": during_end,
        "before": before,
        "during": during,
        "treated": treated,
        "control": control,
    }


def campaign_lift(
    *,
    campaign_id: int,
    today: date | None = None,
    so_far: bool = False,
    with_daily: bool = False,
) -> dict:
    """{"campaign", "before": (start, end), "during": (start, end), "units": Lift,
    "revenue": Lift, "assumption"} for a finished campaign; with `so_far`, for a running one
    too, its days up to yesterday against as many days before it. With `with_daily`, also
    "daily": `campaign_lift_daily`'s picture, from the same groups (two queries more).

    Raises CampaignNotFound, or CampaignLiftUnavailable when the campaign has not ended (or,
    with `so_far`, has no full day behind it), names no products or category, or there are
    fewer than two campaign or control products with sales.
    """
    groups = _campaign_groups(campaign_id=campaign_id, today=today, so_far=so_far)
    before, during = groups["before"], groups["during"]
    treated, control = groups["treated"], groups["control"]

    def lift(index: int) -> Lift:
        def outcome(window, ids):
            return [window.get(pk, (0.0, 0.0))[index] for pk in ids]

        return difference_in_differences(
            outcome(before, treated),
            outcome(during, treated),
            outcome(before, control),
            outcome(during, control),
        )

    during_start = groups["during_start"]
    return {
        **({"daily": _daily(groups)} if with_daily else {}),
        "campaign": groups["campaign"],
        "before": (groups["before_start"], during_start - timedelta(days=1)),
        "during": (during_start, groups["during_end"] - timedelta(days=1)),
        "units": lift(0),
        "revenue": lift(1),
        "assumption": "Difference in differences on products: without the campaign, its "
        "products' sales would have changed like those of the other products.",
    }


def campaign_lift_daily(*, campaign_id: int, today: date | None = None) -> dict:
    """The picture behind the lift: units sold per product per day, of the campaign's
    products and of the other products, over the window before the campaign and the
    campaign itself (two queries more than `campaign_lift`'s).

    {"days": [date], "campaign_starts": date, "campaign": [float], "control": [float]}.
    Raises as `campaign_lift` does.
    """
    return _daily(_campaign_groups(campaign_id=campaign_id, today=today))


def _daily(groups: dict) -> dict:
    start, end = groups["before_start"], groups["during_end"]
    items = OrderItem.objects.filter(
        order__status__in=shop_selectors.SOLD_STATUSES,
        order__placed_at__gte=_start_of(start),
        order__placed_at__lt=_start_of(end),
    )

    def per_day(products: list[int]) -> dict[date, float]:
        rows = (
            items.filter(product_id__in=products)
            .annotate(day=TruncDate("order__placed_at"))
            .values("day")
            .annotate(units=Sum("quantity"))
            .order_by()
        )
        return {row["day"]: float(row["units"]) for row in rows}

    treated, control = groups["treated"], groups["control"]
    treated_days, control_days = per_day(treated), per_day(control)
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    return {
        "days": days,
        "campaign_starts": groups["during_start"],
        "campaign": [round(treated_days.get(d, 0.0) / len(treated), 4) for d in days],
        "control": [round(control_days.get(d, 0.0) / len(control), 4) for d in days],
    }
