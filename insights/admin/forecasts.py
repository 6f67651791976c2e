"""Admin of sales forecasts: the runs of the `sales_forecast` job with their configuration and
each candidate model's cross-validated errors (read only; written by
`insights.services.forecasts`). The forecasts themselves are shown on the forecast page
(`insights.forecast_views`)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from insights.models import SalesForecastRun


@admin.register(SalesForecastRun)
class SalesForecastRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "as_of",
        "frequency",
        "horizon",
        "series_count",
        "seconds",
        "page",
    ]
    list_filter = ["frequency"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "as_of",
        "job",
        "frequency",
        "horizon",
        "season_length",
        "params",
        "series_count",
        "model_metrics",
        "interval_quantiles",
        "notes",
        "seconds",
        "created_at",
    ]
    fields = readonly_fields
    list_select_related = ["job"]

    @admin.display(description="Forecasts")
    def page(self, run: SalesForecastRun) -> str:
        return format_html('<a href="{}">Sales forecasts</a>', reverse("insights:forecasts"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
