"""Admin pages of behaviour clusters and search insights, with their chart endpoints and the
buttons that start a run.

Routed under /admin/insights/ by `insights.urls`, wrapped in `admin.site.admin_view` (active
staff only). The cluster pages need the permission to view clusters, the search pages the
permission to view search topics, and starting a run the permission to add jobs. Charts are
drawn by `insights/charts.js` from the JSON shape of `insights.home.charts`, with the numbers
as a table under them (`insights/chart_figure.html`).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from insights.cluster_engine import describe
from insights.home.charts import chart_payload, chart_series, chart_table
from insights.models import SearchTopic
from insights.selectors import clusters as selectors
from insights.selectors import search_insights as search_selectors
from insights.services import clusters as services
from insights.services import search_insights as search_services

CLUSTERS_PERMISSION = "insights.view_behaviourcluster"
SEARCH_PERMISSION = "insights.view_searchtopic"
SUBMIT_JOB_PERMISSION = "ml.add_job"
TOPICS_SHOWN = 20


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _chart(name: str, url_name: str, payload: dict) -> dict:
    return {"name": name, "url": reverse(url_name), "title": payload["title"],
            "table": chart_table(payload)}  # fmt: skip


# --- behaviour clusters ---------------------------------------------------------------------


def _cluster_sizes_chart(clusters) -> dict:
    return chart_payload(
        kind="bar",
        title="Customers per cluster",
        x_label="Cluster",
        labels=[f"{c.number + 1}. {c.name}" for c in clusters],
        series=[chart_series("customers", "Customers", [c.size for c in clusters])],
    )


def clusters(request: HttpRequest) -> HttpResponse:
    """The latest run's clusters: size chart, each cluster's facts, name (and who gave it) and
    customers nearest its centre; the silhouette of every k tried; and the run button."""
    _require(request, CLUSTERS_PERMISSION)
    run = selectors.cluster_run_latest()
    rows = list(selectors.cluster_list(run=run)) if run else []
    examples = selectors.cluster_examples(clusters=rows)
    assignments = reverse("admin:insights_behaviourclusterassignment_changelist")
    for cluster in rows:
        cluster.examples = examples.get(cluster.pk, [])
        cluster.customers_url = f"{assignments}?cluster__id__exact={cluster.pk}"
        cluster.rename_url = reverse("admin:insights_behaviourcluster_change", args=[cluster.pk])
    can_submit = request.user.has_perm(SUBMIT_JOB_PERMISSION)
    context = {
        **admin.site.each_context(request),
        "title": "Behaviour clusters",
        "subtitle": None,
        "run": run,
        "clusters": rows,
        "silhouettes": sorted(((int(k), v) for k, v in (run.silhouettes if run else {}).items())),
        "charts": [_chart("sizes", "insights:clusters-chart", _cluster_sizes_chart(rows))]
        if rows
        else [],
        "can_submit_jobs": can_submit,
        "can_rename": request.user.has_perm("insights.change_behaviourcluster"),
        "queued_job": selectors.cluster_job_queued() if can_submit else None,
        "rules": {
            "budget_below": describe.BUDGET_BELOW,
            "premium_above": describe.PREMIUM_ABOVE,
            "lapsed_days": describe.LAPSED_DAYS,
            "dominant_share": describe.DOMINANT_SHARE,
            "browser_buyers_below": describe.BROWSER_BUYERS_BELOW,
            "searcher_share": describe.SEARCHER_SHARE,
            "regular_orders": describe.REGULAR_ORDERS,
            "reviewer_reviews": describe.REVIEWER_REVIEWS,
        },
    }
    return TemplateResponse(request, "insights/clusters/clusters.html", context)


def clusters_chart(request: HttpRequest) -> JsonResponse:
    """The latest run's cluster sizes as chart JSON."""
    _require(request, CLUSTERS_PERMISSION)
    run = selectors.cluster_run_latest()
    rows = list(selectors.cluster_list(run=run)) if run else []
    return JsonResponse(_cluster_sizes_chart(rows))


@require_POST
def clusters_run(request: HttpRequest) -> HttpResponse:
    """Start (or find the queued) `behaviour_clusters` job and go back to the page."""
    _require(request, CLUSTERS_PERMISSION)
    _require(request, SUBMIT_JOB_PERMISSION)
    job = services.behaviour_clusters_submit(user=request.user)
    messages.success(request, format_html(
        'Clustering customers: <a href="{}">job #{}</a>.',
        reverse("admin:ml_job_change", args=[job.pk]), job.pk,
    ))  # fmt: skip
    return HttpResponseRedirect(reverse("insights:clusters"))


# --- search insights ------------------------------------------------------------------------


def _search_volume_chart(run) -> dict:
    labels = run.week_starts if run else []
    return chart_payload(
        kind="bar",
        title="Searches per week",
        x_label="Week from",
        labels=labels,
        series=[
            chart_series("searches", "Searches", run.weekly_volume if run else []),
            chart_series("unmet", "Unmet searches", run.weekly_unmet if run else []),
        ],
    )


def search_topics(request: HttpRequest) -> HttpResponse:
    """The latest run's top topics, rising topics and unmet demand, each with example queries
    and weekly volumes, the weekly volume chart, the rules, and the run button."""
    _require(request, SEARCH_PERMISSION)
    run = search_selectors.search_run_latest()
    topics = rising = unmet = []
    if run:
        topics = list(search_selectors.search_topic_list(
            run=run, kind=SearchTopic.Kind.TOPIC)[:TOPICS_SHOWN])  # fmt: skip
        rising = list(search_selectors.search_topic_list(
            run=run, kind=SearchTopic.Kind.TOPIC, rising=True)[:TOPICS_SHOWN])  # fmt: skip
        unmet = list(search_selectors.search_topic_list(
            run=run, kind=SearchTopic.Kind.UNMET)[:TOPICS_SHOWN])  # fmt: skip
    can_submit = request.user.has_perm(SUBMIT_JOB_PERMISSION)
    context = {
        **admin.site.each_context(request),
        "title": "Search insights",
        "subtitle": None,
        "run": run,
        "topics": topics,
        "rising": rising,
        "unmet": unmet,
        "shown": TOPICS_SHOWN,
        "charts": [_chart("volume", "insights:search-chart", _search_volume_chart(run))]
        if run
        else [],
        "can_submit_jobs": can_submit,
        "queued_job": search_selectors.search_job_queued() if can_submit else None,
    }
    return TemplateResponse(request, "insights/clusters/search_topics.html", context)


def search_chart(request: HttpRequest) -> JsonResponse:
    """The latest run's searches per week (all, and unmet) as chart JSON."""
    _require(request, SEARCH_PERMISSION)
    return JsonResponse(_search_volume_chart(search_selectors.search_run_latest()))


@require_POST
def search_run(request: HttpRequest) -> HttpResponse:
    """Start (or find the queued) `search_insights` job and go back to the page."""
    _require(request, SEARCH_PERMISSION)
    _require(request, SUBMIT_JOB_PERMISSION)
    job = search_services.search_insights_submit(user=request.user)
    messages.success(request, format_html(
        'Analysing searches: <a href="{}">job #{}</a>.',
        reverse("admin:ml_job_change", args=[job.pk]), job.pk,
    ))  # fmt: skip
    return HttpResponseRedirect(reverse("insights:search-topics"))
