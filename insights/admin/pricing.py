"""Admin of price suggestions: the proposals with their expected effect and its 95% range, the
approve / reject decisions (per proposal on its page, or for the selected ones from the list)
and the button that starts a recompute.

Proposals are written only by `insights.services.pricing`; nothing here edits one. Deciding
needs `shop.change_product` (it changes a price) and `insights.change_pricesuggestion`;
starting a recompute needs `ml.add_job`. Every decision is a POST (CSRF-protected by the admin).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html

from insights.exceptions import PriceSuggestionNotFound, PriceSuggestionNotOpen
from insights.models import PriceSuggestion
from insights.services import pricing as services
from shop.exceptions import ProductPriceChanged

DECIDE_PERMISSIONS = ("shop.change_product", "insights.change_pricesuggestion")
SUBMIT_JOB_PERMISSION = "ml.add_job"
DECISION_ERRORS = (PriceSuggestionNotFound, PriceSuggestionNotOpen, ProductPriceChanged)


def _money(amount, currency: str) -> str:
    return f"{number_format(amount, decimal_pos=2, force_grouping=True)} {currency}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value - 1:+.1%}"


def _ratio_with_range(value, low, high) -> str:
    """`+12.0% (+5.1% to +19.3%)`: the change at the expected elasticity and its 95% range."""
    if value is None:
        return "—"
    return format_html("{} <small>({} to {})</small>", _share(value), _share(low), _share(high))


def _margin(price, cost) -> str:
    return "—" if not price else f"{float((price - cost) / price):.0%}"


@admin.register(PriceSuggestion)
class PriceSuggestionAdmin(admin.ModelAdmin):
    change_list_template = "insights/pricing/pricesuggestion_change_list.html"
    change_form_template = "insights/pricing/pricesuggestion_change_form.html"
    list_display = [
        "product_column",
        "status",
        "price_column",
        "margin_column",
        "elasticity_column",
        "units_column",
        "revenue_column",
        "profit_column",
        "decided_column",
        "created_at",
    ]
    list_select_related = ["product", "decided_by"]
    list_filter = ["status", "scope"]
    search_fields = ["=product__sku", "product__title"]
    date_hierarchy = "created_at"
    actions = ["approve_selected", "reject_selected"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["product", "status", "reason", "job", "created_at"]}),
        (
            "Price",
            {"fields": ["current_price", "suggested_price", "price_change_display", "unit_cost"]},
        ),
        (
            "Elasticity",
            {
                "fields": [
                    "elasticity_column",
                    "scope",
                    "scope_category",
                    "observations",
                    "products_pooled",
                ]
            },
        ),
        (
            "Expected effect a week (95% range over the elasticity's interval)",
            {
                "fields": [
                    "quantity_per_week",
                    "units_column",
                    "revenue_column",
                    "profit_ratio_display",
                    "profit_column",
                ]
            },
        ),
        ("Decision", {"fields": ["decided_by", "decided_at"]}),
    ]
    readonly_fields = [
        "product",
        "status",
        "reason",
        "job",
        "created_at",
        "current_price",
        "suggested_price",
        "price_change_display",
        "unit_cost",
        "elasticity_column",
        "scope",
        "scope_category",
        "observations",
        "products_pooled",
        "quantity_per_week",
        "units_column",
        "revenue_column",
        "profit_ratio_display",
        "profit_column",
        "decided_by",
        "decided_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # nothing is edited; decisions go through the decide views

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request, obj=None) -> bool:
        return request.user.has_perms(DECIDE_PERMISSIONS)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "recompute/",
                self.admin_site.admin_view(self.recompute_view),
                name="{}_{}_recompute".format(*info),
            ),
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="{}_{}_approve".format(*info),
            ),
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="{}_{}_reject".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        context = {
            "can_submit_jobs": request.user.has_perm(SUBMIT_JOB_PERMISSION),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {"can_decide": self.has_decide_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    # --- views ---------------------------------------------------------------------------

    def _changelist_url(self) -> str:
        return reverse("admin:insights_pricesuggestion_changelist")

    def recompute_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (request.user.has_perm(SUBMIT_JOB_PERMISSION) and self.has_view_permission(request)):
            raise PermissionDenied
        job = services.price_suggestions_submit(user=request.user)
        self.message_user(
            request,
            format_html(
                'Recomputing price suggestions: <a href="{}">job #{}</a>. Open proposals are '
                "replaced when it finishes; no price changes until someone approves one.",
                reverse("admin:ml_job_change", args=[job.pk]),
                job.pk,
            ),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._changelist_url())

    def _decide_view(self, request, pk: int, approve: bool):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_decide_permission(request):
            raise PermissionDenied
        self._decide(request, [pk], approve)
        return HttpResponseRedirect(self._changelist_url())

    def approve_view(self, request, pk: int):
        return self._decide_view(request, pk, approve=True)

    def reject_view(self, request, pk: int):
        return self._decide_view(request, pk, approve=False)

    def _decide(self, request, ids, approve: bool) -> None:
        decide = services.price_suggestion_approve if approve else services.price_suggestion_reject
        done = []
        for pk in ids:
            try:
                suggestion = decide(suggestion_id=pk, user=request.user)
            except DECISION_ERRORS as exc:
                self.message_user(request, f"Suggestion #{pk}: {exc}", messages.ERROR)
            else:
                done.append(suggestion)
        for suggestion in done:
            product = suggestion.product
            if approve:
                message = (
                    f"{product.title} ({product.sku}) now costs "
                    f"{_money(suggestion.suggested_price, product.currency)} "
                    f"(was {_money(suggestion.current_price, product.currency)})."
                )
            else:
                message = (
                    f"Rejected the price of {_money(suggestion.suggested_price, product.currency)}"
                    f" for {product.title} ({product.sku}); its price stays."
                )
            self.message_user(request, message, messages.SUCCESS)

    # --- actions -------------------------------------------------------------------------

    @admin.action(description="Approve the selected prices (changes them)", permissions=["decide"])
    def approve_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        self._decide(request, ids, approve=True)

    @admin.action(description="Reject the selected prices", permissions=["decide"])
    def reject_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        self._decide(request, ids, approve=False)

    # --- columns -------------------------------------------------------------------------

    @admin.display(description="Product", ordering="product__title")
    def product_column(self, obj: PriceSuggestion) -> str:
        return format_html(
            '<a href="{}">{}</a> <small>{}</small>',
            reverse("admin:insights_pricesuggestion_change", args=[obj.pk]),
            obj.product.title,
            obj.product.sku,
        )

    @admin.display(description="Price now → proposed")
    def price_column(self, obj: PriceSuggestion) -> str:
        currency = obj.product.currency
        return format_html(
            "{} → <strong>{}</strong> <small>({})</small>",
            _money(obj.current_price, currency),
            _money(obj.suggested_price, currency),
            f"{obj.price_change:+.1%}",
        )

    @admin.display(description="Price change")
    def price_change_display(self, obj: PriceSuggestion) -> str:
        return f"{obj.price_change:+.1%}"

    @admin.display(description="Margin now → proposed")
    def margin_column(self, obj: PriceSuggestion) -> str:
        return (
            f"{_margin(obj.current_price, obj.unit_cost)} → "
            f"{_margin(obj.suggested_price, obj.unit_cost)}"
        )

    @admin.display(description="Elasticity (95%)", ordering="elasticity")
    def elasticity_column(self, obj: PriceSuggestion) -> str:
        half = 1.959963984540054 * obj.elasticity_se
        scope = "own" if obj.scope == PriceSuggestion.Scope.PRODUCT else "category"
        return format_html(
            "{} <small>({} to {}; {}, {} weeks)</small>",
            f"{obj.elasticity:.2f}",
            f"{obj.elasticity - half:.2f}",
            f"{obj.elasticity + half:.2f}",
            scope,
            obj.observations,
        )

    @admin.display(description="Units")
    def units_column(self, obj: PriceSuggestion) -> str:
        return _ratio_with_range(
            obj.quantity_ratio, obj.quantity_ratio_low, obj.quantity_ratio_high
        )

    @admin.display(description="Revenue")
    def revenue_column(self, obj: PriceSuggestion) -> str:
        return _ratio_with_range(obj.revenue_ratio, obj.revenue_ratio_low, obj.revenue_ratio_high)

    @admin.display(description="Profit")
    def profit_ratio_display(self, obj: PriceSuggestion) -> str:
        return _ratio_with_range(obj.profit_ratio, obj.profit_ratio_low, obj.profit_ratio_high)

    @admin.display(description="Profit a week", ordering="profit_change_per_week")
    def profit_column(self, obj: PriceSuggestion) -> str:
        currency = obj.product.currency
        return format_html(
            "{}{} <small>({} to {})</small>",
            "+" if obj.profit_change_per_week >= 0 else "",
            _money(obj.profit_change_per_week, currency),
            _money(obj.profit_change_per_week_low, currency),
            _money(obj.profit_change_per_week_high, currency),
        )

    @admin.display(description="Decided", ordering="decided_at")
    def decided_column(self, obj: PriceSuggestion) -> str:
        if obj.decided_at is None:
            return "—"
        who = obj.decided_by.get_username() if obj.decided_by else "?"
        return f"{who}, {obj.decided_at:%Y-%m-%d %H:%M}"
