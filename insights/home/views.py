"""The staff home page and the JSON endpoints of its charts.

Routed under /admin/insights/home/ by `insights.urls`, wrapped in `admin.site.admin_view`
(active staff only, never cached). Every section needs the view permission of the model it
shows; a user without it does not get the section (nor its queries), and the chart
endpoints answer 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from insights.home import selectors
from insights.home.charts import chart_table

ALERTS_SHOWN = 5
JOBS_SHOWN = 10
AWAITING_SHOWN = 10
CAMPAIGNS_SHOWN = 10
STOCK_SHOWN = 10
CHART_DAYS = 30
CHART_WEEKS = 12

# Section -> the permission needed to see it.
PERMISSIONS = {
    "sales": "shop.view_order",
    "alerts": "insights.view_sentimentalert",
    "jobs": "ml.view_job",
    "models": "ml.view_modelversion",
    "campaigns": "marketing.view_campaign",
    "stock": "shop.view_product",
    "sentiment": "shop.view_review",
}


def _charts() -> dict[str, dict[str, Any]]:
    """Chart name -> the section whose permission it needs, its endpoint and its builder."""
    now = timezone.now
    return {
        "orders": {
            "section": "sales",
            "url": reverse("insights:home-chart", args=["orders"]),
            "build": lambda: selectors.chart_orders_per_day(
                now=now(), days=CHART_DAYS, currency=settings.STORE_CURRENCY
            ),
        },
        "jobs": {
            "section": "jobs",
            "url": reverse("insights:home-chart", args=["jobs"]),
            "build": lambda: selectors.chart_jobs_per_status(now=now(), days=CHART_DAYS),
        },
        "sentiment": {
            "section": "sentiment",
            "url": reverse("insights:home-chart", args=["sentiment"]),
            "build": lambda: selectors.chart_sentiment_share_per_week(now=now(), weeks=CHART_WEEKS),
        },
    }


def _visible_sections(request: HttpRequest) -> set[str]:
    return {name for name, perm in PERMISSIONS.items() if request.user.has_perm(perm)}


def home(request: HttpRequest) -> HttpResponse:
    """What needs attention today, one section per area the user may see."""
    visible = _visible_sections(request)
    now = timezone.now()
    today = timezone.localdate(now)
    sections: dict[str, Callable[[], Any]] = {
        "sales": lambda: selectors.home_sales_today(now=now),
        "alerts": lambda: selectors.home_alerts_open(limit=ALERTS_SHOWN),
        "jobs": lambda: selectors.home_jobs_unfinished(limit=JOBS_SHOWN),
        "models": lambda: selectors.home_models_awaiting(limit=AWAITING_SHOWN),
        "campaigns": lambda: selectors.home_campaigns_running(today=today, limit=CAMPAIGNS_SHOWN),
        "stock": lambda: selectors.home_stock_at_risk(now=now, limit=STOCK_SHOWN),
    }
    charts = []
    for name, chart in _charts().items():
        if chart["section"] in visible:
            payload = chart["build"]()
            charts.append(
                {"name": name, "url": chart["url"], "title": payload["title"],
                 "table": chart_table(payload)}
            )  # fmt: skip
    context = {
        **admin.site.each_context(request),
        "title": "Staff home",
        "subtitle": None,
        "today": today,
        "visible": visible,
        **{name: build() for name, build in sections.items() if name in visible},
        "charts": charts,
        "currency": settings.STORE_CURRENCY,
        "can_move_aliases": request.user.has_perm("ml.change_modelalias"),
        "can_start_jobs": request.user.has_perm("ml.add_job"),
        "stock_rule": {
            "window_days": selectors.STOCK_WINDOW_DAYS,
            "max_days_of_cover": selectors.STOCK_MAX_DAYS_OF_COVER,
        },
        "shown": {
            "alerts": ALERTS_SHOWN,
            "jobs": JOBS_SHOWN,
            "models": AWAITING_SHOWN,
            "campaigns": CAMPAIGNS_SHOWN,
            "stock": STOCK_SHOWN,
        },
    }
    return TemplateResponse(request, "insights/home/home.html", context)


def chart(request: HttpRequest, name: str) -> JsonResponse:
    """One chart of the home page as JSON (the shape of `insights.home.charts`)."""
    charts = _charts()
    if name not in charts:
        return JsonResponse({"detail": f"No chart {name!r}."}, status=404)
    if not request.user.has_perm(PERMISSIONS[charts[name]["section"]]):
        raise PermissionDenied
    return JsonResponse(charts[name]["build"]())
