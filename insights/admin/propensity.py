"""Admin of purchase propensity: every scored customer, most likely to buy first, filterable by
probability band, searchable by customer; a list a marketer can use as a campaign target."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from config.admin_base import ReadOnlyAdmin
from insights.models import PurchasePropensity
from insights.selectors import propensity as selectors

BANDS = {"high": (0.5, 1.01), "medium": (0.2, 0.5), "low": (0.0, 0.2)}


class ProbabilityBandFilter(admin.SimpleListFilter):
    title = "probability"
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [("high", "50% or more"), ("medium", "20-50%"), ("low", "under 20%")]

    def queryset(self, request, queryset):
        if self.value() in BANDS:
            low, high = BANDS[self.value()]
            return queryset.filter(probability__gte=low, probability__lt=high)
        return queryset


@admin.register(PurchasePropensity)
class PurchasePropensityAdmin(ReadOnlyAdmin):
    list_display = ["customer_column", "probability_column", "reasons_column", "scored_at"]
    list_filter = [ProbabilityBandFilter]
    search_fields = ["customer__name", "=customer__email", "=customer__external_id"]
    ordering = ["-probability", "pk"]
    list_per_page = 50
    show_full_result_count = False
    fields = ["customer", "probability", "horizon_days", "reasons", "model_version", "scored_at"]

    def get_queryset(self, request):
        return selectors.propensity_list()

    def changelist_view(self, request, extra_context=None):
        extra = {"subtitle": None, **(extra_context or {})}
        return super().changelist_view(request, extra)

    @admin.display(description="Customer", ordering="customer__name")
    def customer_column(self, obj: PurchasePropensity) -> str:
        url = reverse("admin:shop_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, obj.customer)

    @admin.display(description="P(order)", ordering="probability")
    def probability_column(self, obj: PurchasePropensity) -> str:
        return f"{obj.probability:.0%} in {obj.horizon_days} d"

    @admin.display(description="Why")
    def reasons_column(self, obj: PurchasePropensity) -> str:
        return "; ".join(f"{r['label']} {r['direction']} it" for r in obj.reasons)
