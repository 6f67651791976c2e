"""Admin of customer segments and value: every customer's scores (filter by segment, order
by churn risk or lifetime value) and the runs that computed them with their fitted models.

Both are written only by the `customer_scores` job (`insights.services.customers`); staff
start it from the Customer segments page (`insights.views.segments`).
"""

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html

from config.admin_base import ReadOnlyAdmin
from insights.models import CustomerScore, CustomerValueRun
from insights.selectors import customers as selectors


def _money(amount) -> str:
    if amount is None:
        return "—"
    return f"{number_format(amount, decimal_pos=2, force_grouping=True)} {settings.STORE_CURRENCY}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


class _ScoreFilter(admin.SimpleListFilter):
    """Scores 1-5 as fixed choices (a field filter would scan the table for its values)."""

    def lookups(self, request, model_admin):
        return [(str(score), str(score)) for score in range(1, 6)]

    def queryset(self, request, queryset):
        if self.value() in {str(score) for score in range(1, 6)}:
            return queryset.filter(**{self.parameter_name: int(self.value())})
        return queryset


class RecencyScoreFilter(_ScoreFilter):
    title = "R score (recency)"
    parameter_name = "r_score"


class FrequencyScoreFilter(_ScoreFilter):
    title = "F score (frequency)"
    parameter_name = "f_score"


class MonetaryScoreFilter(_ScoreFilter):
    title = "M score (monetary)"
    parameter_name = "m_score"


@admin.register(CustomerScore)
class CustomerScoreAdmin(ReadOnlyAdmin):
    change_list_template = "insights/customers/customerscore_change_list.html"
    list_display = [
        "customer_column",
        "segment",
        "rfm_column",
        "recency_days",
        "frequency",
        "monetary_column",
        "churn_risk_column",
        "expected_purchases_column",
        "clv_column",
        "computed_at",
    ]
    list_select_related = ["customer"]
    list_filter = ["segment", RecencyScoreFilter, FrequencyScoreFilter, MonetaryScoreFilter]
    search_fields = ["customer__name", "=customer__email", "=customer__external_id"]
    ordering = ["-clv", "pk"]
    list_per_page = 50
    # One COUNT per page: the unfiltered total would be a second one on every request.
    show_full_result_count = False
    fields = [
        "customer",
        "segment",
        ("r_score", "f_score", "m_score"),
        ("recency_days", "frequency", "monetary"),
        ("probability_alive", "churn_risk"),
        ("expected_purchases", "expected_spend", "clv"),
        "run",
        "computed_at",
    ]

    def get_queryset(self, request):
        return selectors.customer_score_list()

    def changelist_view(self, request, extra_context=None):
        context = {"segments_url": reverse("insights:segments"), **(extra_context or {})}
        return super().changelist_view(request, context)

    @admin.display(description="Customer", ordering="customer__name")
    def customer_column(self, obj: CustomerScore) -> str:
        url = reverse("admin:shop_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, obj.customer)

    @admin.display(description="RFM")
    def rfm_column(self, obj: CustomerScore) -> str:
        return obj.rfm_cell

    @admin.display(description="Spend", ordering="monetary")
    def monetary_column(self, obj: CustomerScore) -> str:
        return _money(obj.monetary)

    @admin.display(description="Churn risk", ordering="churn_risk")
    def churn_risk_column(self, obj: CustomerScore) -> str:
        return _percent(obj.churn_risk)

    @admin.display(description="Expected purchases", ordering="expected_purchases")
    def expected_purchases_column(self, obj: CustomerScore) -> str:
        return "—" if obj.expected_purchases is None else f"{obj.expected_purchases:.2f}"

    @admin.display(description="Lifetime value", ordering="clv")
    def clv_column(self, obj: CustomerScore) -> str:
        return _money(obj.clv)


@admin.register(CustomerValueRun)
class CustomerValueRunAdmin(ReadOnlyAdmin):
    list_display = [
        "as_of",
        "customers",
        "orders",
        "bg_nbd_column",
        "bg_nbd_converged",
        "gamma_gamma_column",
        "gamma_gamma_converged",
        "job_column",
        "created_at",
    ]
    list_select_related = ["job"]
    date_hierarchy = "created_at"

    @admin.display(description="BG/NBD (r, alpha, a, b)")
    def bg_nbd_column(self, obj: CustomerValueRun) -> str:
        return _params(obj.bg_nbd_params, ("r", "alpha", "a", "b"))

    @admin.display(description="Gamma-Gamma (p, q, gamma)")
    def gamma_gamma_column(self, obj: CustomerValueRun) -> str:
        return _params(obj.gamma_gamma_params, ("p", "q", "gamma"))

    @admin.display(description="Job")
    def job_column(self, obj: CustomerValueRun) -> str:
        if obj.job_id is None:
            return "—"
        url = reverse("admin:ml_job_change", args=[obj.job_id])
        return format_html('<a href="{}">#{}</a>', url, obj.job_id)


def _params(params: dict | None, names: tuple[str, ...]) -> str:
    if not params:
        return "—"
    return ", ".join(f"{params[name]:.4g}" for name in names if name in params)
