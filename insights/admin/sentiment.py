"""Admin of review sentiment: the scores (with a "correct the label" action and the re-score
button) and the staff label corrections that win over ratings in training.

Scores are written only by the scoring job; staff act on them through actions and the
re-score button, which queue work through the services.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from insights.models import ReviewLabelCorrection, ReviewSentiment, Sentiment
from insights.selectors import sentiment as selectors
from insights.services import sentiment as services
from ml.exceptions import AliasNotSet

SUBMIT_JOB_PERMISSION = "ml.add_job"
CORRECT_LABEL_PERMISSION = "insights.add_reviewlabelcorrection"


def _review_link(review) -> str:
    url = reverse("admin:shop_review_change", args=[review.pk])
    words = review.title or review.text
    return format_html(
        '<a href="{}">#{}</a> {}', url, review.pk, words[:80] + ("…" if len(words) > 80 else "")
    )


@admin.register(ReviewSentiment)
class ReviewSentimentAdmin(admin.ModelAdmin):
    change_list_template = "insights/sentiment/reviewsentiment_change_list.html"
    list_display = [
        "review_column",
        "product_column",
        "rating_column",
        "label",
        "confidence",
        "corrected_label",
        "model_version",
        "scored_at",
    ]
    list_select_related = ["review", "review__product", "review__label_correction", "model_version"]
    list_filter = [
        "label",
        ("model_version", admin.RelatedOnlyFieldListFilter),
        "review__rating",
    ]
    search_fields = ["review__title", "review__text", "=review__product__sku"]
    date_hierarchy = "scored_at"
    actions = ["correct_to_negative", "correct_to_neutral", "correct_to_positive"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_correct_permission(self, request):
        return request.user.has_perm(CORRECT_LABEL_PERMISSION)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        custom = [
            path(
                "rescore/",
                self.admin_site.admin_view(self.rescore_view),
                name="{}_{}_rescore".format(*info),
            ),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        context = {
            "scoring": selectors.sentiment_scoring_status(),
            "can_submit_jobs": request.user.has_perm(SUBMIT_JOB_PERMISSION),
            "finetune_url": reverse("admin:ml_job_add")
            + "?kind=finetune_classifier&task=sentiment",
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def rescore_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(SUBMIT_JOB_PERMISSION):
            raise PermissionDenied
        try:
            job = services.sentiment_rescore_submit(user=request.user)
        except AliasNotSet as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            url = reverse("admin:ml_job_change", args=[job.pk])
            self.message_user(
                request,
                format_html(
                    'Re-scoring every review with the champion: <a href="{}">job #{}</a>.',
                    url,
                    job.pk,
                ),
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:insights_reviewsentiment_changelist"))

    # --- columns -------------------------------------------------------------------------

    @admin.display(description="Review", ordering="review_id")
    def review_column(self, obj: ReviewSentiment) -> str:
        return _review_link(obj.review)

    @admin.display(description="Product", ordering="review__product__title")
    def product_column(self, obj: ReviewSentiment) -> str:
        return obj.review.product.title

    @admin.display(description="Rating", ordering="review__rating")
    def rating_column(self, obj: ReviewSentiment) -> str:
        return "★" * obj.review.rating

    @admin.display(description="Confidence")
    def confidence(self, obj: ReviewSentiment) -> str:
        probability = (obj.probabilities or {}).get(obj.label)
        return "—" if probability is None else f"{probability:.0%}"

    @admin.display(description="Staff label")
    def corrected_label(self, obj: ReviewSentiment) -> str:
        try:
            return obj.review.label_correction.get_label_display()
        except ReviewLabelCorrection.DoesNotExist:
            return "—"

    # --- actions -------------------------------------------------------------------------

    def _correct(self, request, queryset, label: str) -> None:
        count = services.review_label_corrections_set(
            review_ids=queryset.values_list("review_id", flat=True), label=label, user=request.user
        )
        self.message_user(
            request,
            f"{count} review(s) labelled {label}; the next fine-tune trains on it.",
            messages.SUCCESS,
        )

    @admin.action(description="Correct label: negative", permissions=["correct"])
    def correct_to_negative(self, request, queryset):
        self._correct(request, queryset, Sentiment.NEGATIVE)

    @admin.action(description="Correct label: neutral", permissions=["correct"])
    def correct_to_neutral(self, request, queryset):
        self._correct(request, queryset, Sentiment.NEUTRAL)

    @admin.action(description="Correct label: positive", permissions=["correct"])
    def correct_to_positive(self, request, queryset):
        self._correct(request, queryset, Sentiment.POSITIVE)


@admin.register(ReviewLabelCorrection)
class ReviewLabelCorrectionAdmin(admin.ModelAdmin):
    """Staff labels; any review can be corrected here, scored or not."""

    list_display = ["review_column", "rating_column", "label", "corrected_by", "corrected_at"]
    list_filter = ["label"]
    search_fields = ["review__title", "review__text", "=review__product__sku"]
    autocomplete_fields = ["review"]
    fields = ["review", "label"]

    def get_queryset(self, request):
        return selectors.review_label_correction_list()

    def save_model(self, request, obj, form, change):
        saved = services.review_label_correct(
            review_id=obj.review_id, label=obj.label, user=request.user
        )
        obj.pk = saved.pk

    @admin.display(description="Review", ordering="review_id")
    def review_column(self, obj: ReviewLabelCorrection) -> str:
        return _review_link(obj.review)

    @admin.display(description="Rating", ordering="review__rating")
    def rating_column(self, obj: ReviewLabelCorrection) -> str:
        return "★" * obj.review.rating
