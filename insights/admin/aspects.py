"""Admin of aspects, aspect opinions, sentiment alerts and review summaries.

Aspects are edited here (name, description, examples); the other three are written only by
their jobs and services, so their pages are read-only apart from the actions: acknowledge or
dismiss alerts, re-extract aspects, rebuild summaries. The dashboard (insights.views) is linked
from the alert and aspect lists.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from rest_framework.exceptions import ValidationError

from config.admin_base import ReadOnlyAdmin
from insights.models import Aspect, AspectMention, ProductReviewSummary, SentimentAlert
from insights.selectors import aspects as selectors
from insights.services import aspects as services
from ml.services import job_submit

SUBMIT_JOB_PERMISSION = "ml.add_job"


def _submit(model_admin: admin.ModelAdmin, request, *, kind: str, params: dict, label: str):
    """Queue a job from an admin action and say where to follow it."""
    if not request.user.has_perm(SUBMIT_JOB_PERMISSION):
        model_admin.message_user(
            request, "Starting jobs needs the ml.add_job permission.", messages.ERROR
        )
        return
    try:
        job = job_submit(kind=kind, params=params, created_by=request.user)
    except ValidationError as exc:
        model_admin.message_user(request, f"{label} was not queued: {exc.detail}", messages.ERROR)
        return
    url = reverse("admin:ml_job_change", args=[job.pk])
    model_admin.message_user(
        request,
        format_html('{} is queued as <a href="{}">job #{}</a>.', label, url, job.pk),
        messages.SUCCESS,
    )


class DashboardLinkMixin:
    change_list_template = "insights/aspects/change_list_with_dashboard.html"


@admin.register(Aspect)
class AspectAdmin(DashboardLinkMixin, admin.ModelAdmin):
    list_display = ["name", "is_active", "short_description", "mentions", "negative", "positive"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    fields = ["name", "description", "examples", "is_active"]
    actions = ["reextract_all"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                num_mentions=Count("mentions"),
                num_negative=Count("mentions", filter=Q(mentions__label="negative")),
                num_positive=Count("mentions", filter=Q(mentions__label="positive")),
            )
        )

    @admin.display(description="Description")
    def short_description(self, obj: Aspect) -> str:
        return obj.description if len(obj.description) <= 90 else obj.description[:87] + "…"

    @admin.display(description="Opinions", ordering="num_mentions")
    def mentions(self, obj: Aspect) -> int:
        return obj.num_mentions

    @admin.display(description="Negative", ordering="num_negative")
    def negative(self, obj: Aspect) -> int:
        return obj.num_negative

    @admin.display(description="Positive", ordering="num_positive")
    def positive(self, obj: Aspect) -> int:
        return obj.num_positive

    @admin.action(description="Re-extract the aspects of every review (after editing aspects)")
    def reextract_all(self, request, queryset):
        _submit(self, request, kind="aspects_extract", params={"rebuild": True}, label="Extraction")


@admin.register(AspectMention)
class AspectMentionAdmin(ReadOnlyAdmin):
    list_display = ["sentence", "aspect", "label", "similarity", "review_link", "sentiment_source"]
    list_filter = ["aspect", "label"]
    list_select_related = ["aspect", "model_version"]
    search_fields = ["sentence"]

    @admin.display(description="Review", ordering="review")
    def review_link(self, obj: AspectMention) -> str:
        url = reverse("admin:shop_review_change", args=[obj.review_id])
        return format_html('<a href="{}">#{}</a>', url, obj.review_id)

    @admin.display(description="Label from")
    def sentiment_source(self, obj: AspectMention) -> str:
        return str(obj.model_version) if obj.model_version_id else "review rating"


@admin.register(SentimentAlert)
class SentimentAlertAdmin(DashboardLinkMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "product",
        "aspect_label",
        "status",
        "shares",
        "volume",
        "p_value_display",
    ]
    list_filter = ["status", "aspect"]
    search_fields = ["product__title", "product__sku"]
    date_hierarchy = "created_at"
    actions = ["acknowledge", "dismiss"]
    readonly_fields = [
        "product",
        "aspect",
        "status",
        "window_start",
        "window_end",
        "recent_negative",
        "recent_total",
        "baseline_negative",
        "baseline_total",
        "statistic",
        "p_value",
        "test",
        "evidence_list",
        "created_at",
        "resolved_by",
        "resolved_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return selectors.alert_list()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Aspect", ordering="aspect__name")
    def aspect_label(self, obj: SentimentAlert) -> str:
        return obj.aspect.name if obj.aspect_id else "(whole product)"

    @admin.display(description="Negative share: recent vs before")
    def shares(self, obj: SentimentAlert) -> str:
        return f"{obj.recent_share:.0%} vs {obj.baseline_share:.0%}"

    @admin.display(description="Opinions (recent / before)")
    def volume(self, obj: SentimentAlert) -> str:
        return f"{obj.recent_total} / {obj.baseline_total}"

    @admin.display(description="p-value", ordering="p_value")
    def p_value_display(self, obj: SentimentAlert) -> str:
        return f"{obj.p_value:.2g}"

    @admin.display(description="Evidence")
    def evidence_list(self, obj: SentimentAlert) -> str:
        items = obj.evidence if isinstance(obj.evidence, list) else []
        if not items:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li>“{}” <a href="{}">review #{}</a></li>',
                (
                    (
                        item.get("sentence", ""),
                        reverse("admin:shop_review_change", args=[item.get("review_id")]),
                        item.get("review_id"),
                    )
                    for item in items
                    if item.get("review_id")
                ),
            ),
        )

    def _resolve(self, request, queryset, status: str, verb: str) -> None:
        done = skipped = 0
        for alert_id in queryset.values_list("pk", flat=True):
            try:
                services.alert_resolve(alert_id=alert_id, status=status, user=request.user)
            except (services.AlertNotOpen, services.AlertNotFound):
                skipped += 1
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} alert(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} alert(s) were already resolved otherwise.", messages.WARNING
            )

    @admin.action(description="Acknowledge selected alerts", permissions=["change"])
    def acknowledge(self, request, queryset):
        self._resolve(request, queryset, SentimentAlert.Status.ACKNOWLEDGED, "Acknowledged")

    @admin.action(description="Dismiss selected alerts", permissions=["change"])
    def dismiss(self, request, queryset):
        self._resolve(request, queryset, SentimentAlert.Status.DISMISSED, "Dismissed")


@admin.register(ProductReviewSummary)
class ProductReviewSummaryAdmin(ReadOnlyAdmin):
    list_display = ["product", "pros_count", "cons_count", "reviews_covered", "generated_at"]
    list_select_related = ["product"]
    search_fields = ["product__title", "product__sku"]
    fields = ["product", "text", "reviews_covered", "generator", "generated_at", "pros", "cons"]
    readonly_fields = fields
    actions = ["rebuild"]

    @admin.display(description="Pros")
    def pros_count(self, obj: ProductReviewSummary) -> int:
        return len(obj.pros)

    @admin.display(description="Cons")
    def cons_count(self, obj: ProductReviewSummary) -> int:
        return len(obj.cons)

    @admin.action(description="Rebuild the selected summaries")
    def rebuild(self, request, queryset):
        product_ids = list(queryset.values_list("product_id", flat=True))
        _submit(
            self,
            request,
            kind="review_summaries",
            params={"product_ids": product_ids, "force": True},
            label="Rebuilding",
        )
