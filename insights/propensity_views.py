"""Admin pages of purchase propensity: the champion model's evaluation against its baseline
(metrics, reliability chart), the distribution of scores, the customers most likely to buy
with the reasons, and the buttons that start training or rescoring.

Routed under /admin/insights/ by `insights.urls`, wrapped in `admin.site.admin_view`; every
page needs `insights.view_purchasepropensity` (starting a job needs `ml.add_job` too).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from insights.home.charts import chart_payload, chart_series, chart_table
from insights.selectors import propensity as selectors
from insights.services import propensity as services

VIEW_PERMISSION = "insights.view_purchasepropensity"
SUBMIT_JOB_PERMISSION = "ml.add_job"
TOP_CUSTOMERS = 50
METRIC_ROWS = (
    ("auc", "ROC AUC (higher is better)"),
    ("average_precision", "Average precision (higher is better)"),
    ("brier", "Brier score (lower is better)"),
    ("log_loss", "Log loss (lower is better)"),
    ("ece", "Calibration error, ECE (lower is better)"),
    ("positive_rate", "Customers who bought (base rate)"),
    ("rows", "Customers in the test window"),
)
FAMILY_NAMES = {"neural": "Network (wide & deep)", "logistic": "Logistic regression"}


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


def _bin_labels(bins: list[dict[str, Any]]) -> list[str]:
    return [f"{b['lower']:.0%}–{b['upper']:.0%}" for b in bins]


def reliability_chart(metrics: dict[str, Any]) -> dict[str, Any]:
    """Per probability bin of the test window: each family's observed purchase rate, and the
    served model's mean predicted probability (a calibrated model's two lines agree)."""
    models = metrics.get("models", {})
    served = metrics.get("served_family", "neural")
    bins = models.get(served, {}).get("test", {}).get("reliability", [])

    def percent(values):
        return [None if v is None else round(100 * v, 2) for v in values]

    series = [
        chart_series(
            "predicted",
            f"Mean predicted ({FAMILY_NAMES.get(served, served)})",
            percent(b["mean_predicted"] for b in bins),
        )
    ]
    for family, entry in models.items():
        family_bins = entry.get("test", {}).get("reliability", [])
        if len(family_bins) == len(bins):
            series.append(
                chart_series(
                    f"observed_{family}",
                    f"Observed rate ({FAMILY_NAMES.get(family, family)})",
                    percent(b["observed_rate"] for b in family_bins),
                )
            )
    return chart_payload(
        kind="line",
        title="Reliability on the test window",
        x_label="Predicted probability",
        labels=_bin_labels(bins),
        series=series if bins else [],
        percent=True,
    )


def distribution_chart() -> dict[str, Any]:
    counts = selectors.propensity_distribution()
    bins = [{"lower": i / len(counts), "upper": (i + 1) / len(counts)} for i in range(len(counts))]
    return chart_payload(
        kind="bar",
        title="Customers by purchase probability",
        x_label="Probability of an order",
        labels=_bin_labels(bins),
        series=[chart_series("customers", "Customers", counts)],
    )


CHART_NAMES = ("reliability", "distribution")


def _chart(name: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """The chart `name`; `metrics` are the champion's (the reliability chart reads them)."""
    if name == "distribution":
        return distribution_chart()
    return reliability_chart(metrics)


def _formatted(key: str, value: float | int | None) -> str:
    if value is None:
        return "—"
    if key == "rows":
        return f"{int(value):,}"
    if key == "positive_rate":
        return f"{value:.1%}"
    return f"{value:.4f}"


def propensity(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    champion = selectors.propensity_champion()
    metrics = champion["metrics"] if champion else {}
    models = metrics.get("models", {})
    comparison = [
        {
            "label": label,
            "values": [
                _formatted(key, models.get(f, {}).get("test", {}).get(key))
                for f in ("neural", "logistic")
            ],
        }
        for key, label in METRIC_ROWS
    ]
    charts = []
    for name in CHART_NAMES:
        payload = _chart(name, metrics)
        charts.append(
            {
                "name": name,
                "title": payload["title"],
                "url": reverse("insights:propensity-chart", args=[name]),
                "table": chart_table(payload),
            }
        )
    can_submit = request.user.has_perm(SUBMIT_JOB_PERMISSION)
    version = champion["version"] if champion else None
    context = {
        **admin.site.each_context(request),
        "title": "Purchase propensity",
        "subtitle": None,
        "version": version,
        "metrics": metrics,
        "data_summary": version.data_summary if version else {},
        "served_name": FAMILY_NAMES.get(metrics.get("served_family", ""), ""),
        "comparison": comparison,
        "epochs": {f: models.get(f, {}).get("best_epoch") for f in ("neural", "logistic")},
        "charts": charts,
        "top": selectors.propensity_list()[:TOP_CUSTOMERS],
        "top_limit": TOP_CUSTOMERS,
        "can_submit_jobs": can_submit,
        "queued_job": selectors.propensity_job_queued() if can_submit else None,
    }
    return TemplateResponse(request, "insights/propensity/propensity.html", context)


def propensity_chart(request: HttpRequest, name: str) -> JsonResponse:
    _require_view(request)
    if name not in CHART_NAMES:
        raise Http404(f"No chart {name!r}.")
    champion = selectors.propensity_champion() if name == "reliability" else None
    return JsonResponse(_chart(name, champion["metrics"] if champion else {}))


@require_POST
def propensity_run(request: HttpRequest, action: str) -> HttpResponse:
    """Start (or find the queued) training or scoring job and go back to the page."""
    _require_view(request)
    if not request.user.has_perm(SUBMIT_JOB_PERMISSION):
        raise PermissionDenied
    kinds = {"train": selectors.TRAIN_JOB_KIND, "score": selectors.SCORE_JOB_KIND}
    if action not in kinds:
        raise Http404(f"No action {action!r}.")
    job = services.propensity_job_submit(kind=kinds[action], user=request.user)
    messages.success(
        request,
        format_html(
            'Purchase propensity: <a href="{}">job #{}</a> ({}).',
            reverse("admin:ml_job_change", args=[job.pk]),
            job.pk,
            job.kind,
        ),
    )
    return HttpResponseRedirect(reverse("insights:propensity"))
