"""Admin of marketing: campaigns (with their variant test report), ad copy variants with their
check results and the approve / pause / retire actions, the brand voice and channel limits, and
the storefront's ad events (read only). Writes with a service go through it."""

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from marketing import selectors, services, views
from marketing.models import AdCopy, AdEvent, BrandVoice, Campaign, ChannelLimit


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "goal",
        "channel",
        "starts_on",
        "ends_on",
        "budget",
        "holdout_share",
        "discount_percent",
    ]
    list_filter = ["channel", "goal", "starts_on"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["target_category", "target_products"]
    change_form_template = "marketing/campaign_change_form.html"

    def get_list_display(self, request):
        # Marketers go from the list straight to a campaign's copy workbench.
        columns = super().get_list_display(request)
        if request.user.has_perm("marketing.view_adcopy"):
            return [*columns, "copy_workbench_link"]
        return columns

    @admin.display(description="Ad copy")
    def copy_workbench_link(self, campaign: Campaign):
        url = reverse("admin:marketing_campaign_copy", args=[campaign.pk])
        return format_html('<a href="{}">Ad copy of {}</a>', url, campaign.name)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if campaign is not None:
            extra_context["report"] = selectors.campaign_report(campaign=campaign)
            if request.user.has_perm("insights.view_salesforecast"):
                from insights.forecast_views import campaign_lift_context

                extra_context["lift"] = campaign_lift_context(campaign_id=campaign.pk)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        # The copy workbench (marketing.views): each view checks its own permission.
        def page(view, route: str, name: str, **bound):
            wrapped = self.admin_site.admin_view(
                lambda request, **kwargs: view(request, **bound, **kwargs)
            )
            return path(route, wrapped, name=f"marketing_campaign_copy{name}")

        custom = [
            page(views.workbench, "<int:campaign_id>/copy/", "", model_admin=self),
            page(views.variants, "<int:campaign_id>/copy/variants/", "_variants"),
            page(views.generate, "<int:campaign_id>/copy/generate/", "_generate"),
            page(views.generation_progress, "<int:campaign_id>/copy/jobs/<int:job_id>/", "_job"),
            page(views.compare, "<int:campaign_id>/copy/compare/", "_compare", model_admin=self),
            page(views.variant_row, "<int:campaign_id>/copy/<int:variant_id>/", "_row"),
            page(views.variant_edit, "<int:campaign_id>/copy/<int:variant_id>/edit/", "_edit"),
            page(
                views.regenerate,
                "<int:campaign_id>/copy/<int:variant_id>/regenerate/",
                "_regenerate",
            ),
            page(
                views.variant_status,
                "<int:campaign_id>/copy/<int:variant_id>/<slug:move>/",
                "_status",
            ),
        ]
        return custom + super().get_urls()


@admin.register(AdCopy)
class AdCopyAdmin(admin.ModelAdmin):
    list_display = [
        "headline",
        "campaign",
        "channel",
        "placement",
        "product",
        "status",
        "check_outcome",
        "source",
        "updated_at",
    ]
    list_filter = ["status", "channel", "check_outcome", "source", "campaign"]
    list_select_related = ["campaign", "product"]
    search_fields = ["headline", "body", "campaign__name"]
    autocomplete_fields = ["campaign", "product"]
    actions = ["approve", "pause", "retire"]
    readonly_fields = [
        "status",
        "source",
        "check_outcome",
        "check_report",
        "rejection_reason",
        "created_by",
        "model_version",
        "prompt",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["campaign", "product", "channel", "placement", "tone"]}),
        ("Copy", {"fields": ["headline", "body", "call_to_action"]}),
        (
            "Checks",
            {"fields": ["status", "check_outcome", "check_report", "rejection_reason"]},
        ),
        (
            "Origin",
            {
                "classes": ["collapse"],
                "fields": [
                    "source",
                    "created_by",
                    "model_version",
                    "prompt",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]

    @admin.display(description="Check results")
    def check_report(self, obj: AdCopy):
        results = obj.check_results or {}
        issues = [("rejected", i) for i in results.get("reasons", [])] + [
            ("repaired", i) for i in results.get("repairs", [])
        ]
        if not issues:
            return (
                "—" if obj.check_outcome == AdCopy.CheckOutcome.UNCHECKED else "All checks passed."
            )
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}: {}</li>", ((kind, i["message"]) for kind, i in issues)),
        )

    def save_model(self, request, obj, form, change):
        # Every variant a marketer writes or edits passes the same checks as generated copy.
        result = services.adcopy_check_and_save(adcopy=obj, user=request.user)
        if result.outcome == "rejected":
            self.message_user(
                request,
                format_html(
                    "The checks rejected this variant; it stays a draft: {}", obj.rejection_reason
                ),
                messages.WARNING,
            )

    def _set_status(self, request, queryset, status: str, verb: str) -> None:
        changed, refused = services.adcopy_set_status(
            adcopy_ids=list(queryset.values_list("pk", flat=True)), status=status
        )
        self.message_user(request, f"{changed} variant(s) {verb}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                "Not approved (the checks rejected them): "
                + "; ".join(f"{v.headline}: {v.rejection_reason}" for v in refused),
                messages.ERROR,
            )

    @admin.action(description="Approve the selected variants", permissions=["change"])
    def approve(self, request, queryset):
        self._set_status(request, queryset, AdCopy.Status.APPROVED, "approved")

    @admin.action(description="Pause the selected variants", permissions=["change"])
    def pause(self, request, queryset):
        self._set_status(request, queryset, AdCopy.Status.PAUSED, "paused")

    @admin.action(description="Retire the selected variants", permissions=["change"])
    def retire(self, request, queryset):
        self._set_status(request, queryset, AdCopy.Status.RETIRED, "retired")


@admin.register(BrandVoice)
class BrandVoiceAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "updated_at"]
    list_filter = ["is_active"]


@admin.register(ChannelLimit)
class ChannelLimitAdmin(admin.ModelAdmin):
    list_display = ["channel", "headline_max", "body_max", "call_to_action_max"]


@admin.register(AdEvent)
class AdEventAdmin(admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "kind",
        "placement",
        "campaign",
        "variant",
        "is_holdout",
        "product",
        "customer",
    ]
    list_filter = ["kind", "is_holdout", "placement", "campaign"]
    list_select_related = ["campaign", "variant", "product", "customer"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
