"""Admin pages of insights: the sentiment dashboard and the product panel; the customer
segments page (with its recompute button) and the customer panel.

They are routed under /admin/insights/ by `insights.urls` and wrapped in
`admin.site.admin_view`, so only active staff reach them. The sentiment pages also need the
permission to view reviews, whose content they summarise; the customer pages the permission
to view customer scores (and starting a recompute the permission to add jobs). Charts are
inline SVG or plain HTML computed server-side (`insights.aspect_engine.charts`); no
JavaScript chart library is loaded.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from insights.aspect_engine.alerts import AlertRule
from insights.aspect_engine.charts import diverging_bars, weekly_stacked_bars, weeks_fill
from insights.models import CustomerScore, PurchasePropensity, SentimentAlert
from insights.selectors import aspects as selectors
from insights.selectors import clusters as cluster_selectors
from insights.selectors import customers as customer_selectors
from insights.selectors import profile as profile_selectors
from insights.selectors import propensity as propensity_selectors
from insights.services import customers as customer_services
from insights.services.aspects import alert_windows
from shop import selectors as shop_selectors

VIEW_PERMISSION = "shop.view_review"
PERIODS = (8, 13, 26, 52)
DEFAULT_PERIOD = 26
PANEL_WEEKS = 26
TRENDING_LIMIT = 10
OPEN_ALERTS_SHOWN = 10
CUSTOMER_SCORES_PERMISSION = "insights.view_customerscore"
PROPENSITY_PERMISSION = "insights.view_purchasepropensity"
CLUSTER_PERMISSION = "insights.view_behaviourcluster"
SUBMIT_JOB_PERMISSION = "ml.add_job"
SEGMENT_HISTORY_DAYS = 90


class DashboardFilterForm(forms.Form):
    weeks = forms.TypedChoiceField(
        choices=[(w, f"Last {w} weeks") for w in PERIODS],
        coerce=int,
        required=False,
        empty_value=DEFAULT_PERIOD,
    )
    category = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories")] + [
            (category.pk, category.name) for category in shop_selectors.category_list()
        ]
        for field in self.fields.values():
            field.widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-trigger": "change",
                    "hx-target": "#insights-dashboard-body",
                    "hx-include": "closest form",
                    "hx-push-url": "true",
                }
            )


def _monday_midnight(day: date) -> datetime:
    """The start of the week (Monday 00:00, local time) that holds `day`."""
    monday = day - timedelta(days=day.weekday())
    return timezone.make_aware(datetime.combine(monday, time.min))


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


def dashboard(request: HttpRequest) -> HttpResponse:
    """Sentiment over time, the aspect breakdown, worst-trending products and open alerts.

    A change of the filters swaps only the body (htmx); the full page is rendered otherwise.
    """
    _require_view(request)
    form = DashboardFilterForm(
        request.GET or None, initial={"weeks": DEFAULT_PERIOD}, url=reverse("insights:dashboard")
    )
    weeks, category_id = DEFAULT_PERIOD, None
    if form.is_bound and form.is_valid():
        weeks = form.cleaned_data["weeks"] or DEFAULT_PERIOD
        category_id = form.cleaned_data["category"]
    today = timezone.localdate()
    since_date = today - timedelta(weeks=weeks)
    since = _monday_midnight(since_date)
    weekly = weeks_fill(
        selectors.sentiment_weekly(category_id=category_id, since=since),
        start=since.date(),
        end=today,
    )
    totals = {label: sum(row[label] for row in weekly) for label in selectors.LABELS}
    totals["total"] = sum(totals.values())
    rule = AlertRule()
    baseline_start, recent_start, end = alert_windows(as_of=today, rule=rule)
    series = selectors.negative_share_series(
        baseline_start=baseline_start, recent_start=recent_start, end=end
    )
    breakdown = selectors.aspect_breakdown(category_id=category_id, since=since)
    context = {
        "form": form,
        "weeks": weeks,
        "totals": totals,
        "percent": {
            label: round(100 * totals[label] / totals["total"]) if totals["total"] else 0
            for label in selectors.LABELS
        },
        "weekly_chart": weekly_stacked_bars(weekly),
        "aspect_chart": diverging_bars(breakdown),
        "aspects": breakdown,
        "trending": [
            {
                **row,
                "recent_percent": round(100 * row["recent_share"]),
                "baseline_percent": round(100 * row["baseline_share"]),
                "rise_points": round(100 * row["rise"]),
            }
            for row in selectors.worst_trending_products(
                series=series,
                min_recent_total=rule.min_recent_total,
                min_baseline_total=rule.min_baseline_total,
                limit=TRENDING_LIMIT,
            )
        ],
        "trending_rule": rule,
        "open_alerts": list(
            selectors.alert_list(status=SentimentAlert.Status.OPEN)[:OPEN_ALERTS_SHOWN]
        ),
        "can_see_alerts": request.user.has_perm("insights.view_sentimentalert"),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = TemplateResponse(request, "insights/dashboard_body.html", context)
    else:
        context.update(admin.site.each_context(request), title="Review sentiment", subtitle=None)
        response = TemplateResponse(request, "insights/dashboard.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def product_panel(request: HttpRequest, product_id: int) -> HttpResponse:
    """A fragment for the product page (loaded with htmx): the product's sentiment, weekly
    opinions, aspects with evidence, summary and open alerts."""
    _require_view(request)
    if not shop_selectors.product_visible_exists(product_id=product_id, include_inactive=True):
        raise Http404(f"No product {product_id}.")
    today = timezone.localdate()
    start = today - timedelta(weeks=PANEL_WEEKS)
    since = _monday_midnight(start)
    counts = selectors.product_sentiment_counts(product_id=product_id)
    aspects = selectors.product_aspect_breakdown(product_id=product_id)
    weekly = weeks_fill(
        selectors.sentiment_weekly(product_id=product_id, since=since),
        start=since.date(),
        end=today,
    )
    context = {
        "product_id": product_id,
        "counts": counts,
        "shares": {
            label: counts[label] / counts["total"] if counts["total"] else 0.0
            for label in selectors.LABELS
        },
        "scored_share": selectors.product_scored_share(product_id=product_id),
        "weekly_chart": weekly_stacked_bars(weekly, width=560, height=160, max_labels=7),
        "aspects": aspects,
        "aspect_chart": diverging_bars(aspects, width=560, label_width=130),
        "summary": selectors.product_summary(product_id=product_id),
        "open_alerts": list(
            selectors.alert_list(status=SentimentAlert.Status.OPEN, product_id=product_id)
        ),
        "panel_weeks": PANEL_WEEKS,
    }
    response = TemplateResponse(request, "insights/aspects/product_panel.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --- customer segments and value ------------------------------------------------------------


def _require_customer_scores_view(request: HttpRequest) -> None:
    if not request.user.has_perm(CUSTOMER_SCORES_PERMISSION):
        raise PermissionDenied


def segments(request: HttpRequest) -> HttpResponse:
    """Each RFM segment with its rule, size, share, mean lifetime value and churn risk; the
    latest run's fitted models; segment sizes over the last SEGMENT_HISTORY_DAYS days; and
    the button that starts a recompute."""
    _require_customer_scores_view(request)
    summary = customer_selectors.segment_summary()
    changelist = reverse("admin:insights_customerscore_changelist")
    for row in summary["segments"]:
        row["list_url"] = f"{changelist}?segment__exact={row['key']}"
    since = timezone.localdate() - timedelta(days=SEGMENT_HISTORY_DAYS)
    history = customer_selectors.segment_history(since=since)
    can_submit = request.user.has_perm(SUBMIT_JOB_PERMISSION)
    context = {
        **admin.site.each_context(request),
        "title": "Customer segments",
        "subtitle": None,
        "summary": summary,
        "run": customer_selectors.customer_value_run_latest(),
        "history": list(reversed(history)),
        "history_days": SEGMENT_HISTORY_DAYS,
        "can_submit_jobs": can_submit,
        "queued_job": customer_selectors.customer_scores_job_queued() if can_submit else None,
        "scores_url": changelist,
        "currency": settings.STORE_CURRENCY,
    }
    return TemplateResponse(request, "insights/customers/segments.html", context)


@require_POST
def segments_recompute(request: HttpRequest) -> HttpResponse:
    """Start (or find the queued) `customer_scores` job and go back to the segments page."""
    _require_customer_scores_view(request)
    if not request.user.has_perm(SUBMIT_JOB_PERMISSION):
        raise PermissionDenied
    job = customer_services.customer_scores_submit(user=request.user)
    messages.success(
        request,
        format_html(
            'Recomputing customer segments and value: <a href="{}">job #{}</a>.',
            reverse("admin:ml_job_change", args=[job.pk]),
            job.pk,
        ),
    )
    return HttpResponseRedirect(reverse("insights:segments"))


def customer_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A fragment for the customer page (loaded with htmx): segment and its rule, RFM scores,
    P(alive) and churn risk, expected purchases and value; with the permission, the
    probability of an order soon and the reasons behind it."""
    _require_customer_scores_view(request)
    if not shop_selectors.customer_exists(customer_id=customer_id):
        raise Http404(f"No customer {customer_id}.")
    try:
        score = customer_selectors.customer_score_get(customer_id=customer_id)
    except CustomerScore.DoesNotExist:
        score = None
    propensity = None
    if request.user.has_perm(PROPENSITY_PERMISSION):
        try:
            propensity = propensity_selectors.propensity_get(customer_id=customer_id)
        except PurchasePropensity.DoesNotExist:
            propensity = None
    segment = customer_selectors.segment_rule_of(key=score.segment) if score else None
    cluster = None
    if request.user.has_perm(CLUSTER_PERMISSION):
        cluster = cluster_selectors.cluster_of_customer(customer_id=customer_id)
    context = {
        "score": score,
        "segment": segment,
        "profile": profile_selectors.customer_profile(
            score=score,
            propensity=propensity,
            segment_name=segment["name"] if segment else None,
            cluster_name=cluster.name if cluster else None,
            currency=settings.STORE_CURRENCY,
        ),
        "cluster": cluster,
        "propensity": propensity,
        "can_view_propensity": request.user.has_perm(PROPENSITY_PERMISSION),
        "currency": settings.STORE_CURRENCY,
    }
    response = TemplateResponse(request, "insights/customers/customer_panel.html", context)
    response["Cache-Control"] = "no-store"
    return response
