"""Admin pages of sales forecasts and stock: the forecast page (chart of history, forecast and
80%/95% bands, with its JSON endpoint and a table that stands in without JavaScript), the
reorder / stock-at-risk page, and the button that starts a forecast run.

Routed under /admin/insights/ by `insights.urls`, wrapped in `admin.site.admin_view`; every
page needs `insights.view_salesforecast` (starting a run needs `ml.add_job` too).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from insights.home.charts import chart_payload, chart_series, chart_table
from insights.models import SalesForecast
from insights.selectors import forecasts as selectors
from insights.services import forecasts as services

VIEW_PERMISSION = "insights.view_salesforecast"
SUBMIT_JOB_PERMISSION = "ml.add_job"


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


class SeriesQuery(forms.Form):
    product = forms.IntegerField(required=False, min_value=1)
    category = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        data = super().clean()
        if data.get("product") and data.get("category"):
            raise forms.ValidationError("Choose a product or a category, not both.")
        return data


class ReorderQuery(forms.Form):
    service_level = forms.FloatField(required=False, min_value=0.5, max_value=0.999)
    at_risk = forms.BooleanField(required=False)


def _series_from(query: SeriesQuery) -> SalesForecast | None:
    """The forecast asked for, or the best-selling category's (the first in the list)."""
    data = query.cleaned_data
    if data.get("product"):
        return selectors.forecast_for(kind=SalesForecast.Kind.PRODUCT, target_id=data["product"])
    if data.get("category"):
        return selectors.forecast_for(kind=SalesForecast.Kind.CATEGORY, target_id=data["category"])
    categories = list(selectors.forecast_list(kind=SalesForecast.Kind.CATEGORY))
    if not categories:
        return None
    return max(categories, key=lambda forecast: sum(units for _p, units in forecast.history))


def _name(forecast: SalesForecast) -> str:
    if forecast.kind == SalesForecast.Kind.PRODUCT:
        return forecast.product.title
    return forecast.category.name


def forecast_chart_payload(forecast: SalesForecast) -> dict[str, Any]:
    """History, forecast and the 80%/95% bands on one axis of periods (chart JSON shape)."""
    history = forecast.history
    points = list(forecast.points.all())
    labels = [period for period, _units in history] + [p.period.isoformat() for p in points]
    gap_history = [None] * len(points)
    gap_future = [None] * len(history)

    def future(attribute: str) -> list[float | None]:
        # The forecast lines start at the last actual value, so they join the history.
        values = [round(getattr(p, attribute), 2) for p in points]
        if history:
            return [*gap_future[:-1], round(history[-1][1], 2), *values]
        return values

    return chart_payload(
        kind="line",
        title=f"Units sold: {_name(forecast)}",
        x_label="Period starting",
        labels=labels,
        series=[
            chart_series("history", "Sold", [round(u, 2) for _p, u in history] + gap_history),
            chart_series("forecast", f"Forecast ({forecast.model})", future("point")),
            chart_series("lo95", "95% interval, low", future("lo95")),
            chart_series("lo80", "80% interval, low", future("lo80")),
            chart_series("hi80", "80% interval, high", future("hi80")),
            chart_series("hi95", "95% interval, high", future("hi95")),
        ],
    )


def forecasts(request: HttpRequest) -> HttpResponse:
    """One product's or category's forecast (chart and table), the run's models and their
    cross-validated errors, and the list of series to choose from."""
    _require_view(request)
    query = SeriesQuery(request.GET)
    forecast = _series_from(query) if query.is_valid() else None
    run = selectors.forecast_run_latest()
    chart = None
    if forecast is not None:
        key = "product" if forecast.kind == SalesForecast.Kind.PRODUCT else "category"
        target = forecast.product_id or forecast.category_id
        payload = forecast_chart_payload(forecast)
        chart = {
            "url": f"{reverse('insights:forecast-chart')}?{key}={target}",
            "title": payload["title"],
            "table": chart_table(payload),
        }
    can_submit = request.user.has_perm(SUBMIT_JOB_PERMISSION)
    choices = selectors.forecast_list(run=run) if run else []
    context = {
        **admin.site.each_context(request),
        "title": "Sales forecasts",
        "subtitle": None,
        "run": run,
        "query": query,
        "forecast": forecast,
        "points": list(forecast.points.all()) if forecast else [],
        "chart": chart,
        "choices": [
            {
                "kind": row.kind,
                "id": row.product_id or row.category_id,
                "name": _name(row),
                "selected": forecast is not None and row.pk == forecast.pk,
            }
            for row in choices
        ],
        "models": sorted(
            (run.model_metrics or {}).items(),
            key=lambda item: (
                item[1].get("cv_scaled_error") is None,
                item[1].get("cv_scaled_error") or 0,
            ),
        )
        if run
        else [],
        "can_submit_jobs": can_submit,
        "queued_job": selectors.sales_forecast_job_queued() if can_submit else None,
    }
    return TemplateResponse(request, "insights/forecasts/forecasts.html", context)


def forecast_chart(request: HttpRequest) -> JsonResponse:
    """The forecast page's chart as JSON (`?product=ID` or `?category=ID`; without either the
    best-selling category's, or an empty chart before the first run)."""
    _require_view(request)
    query = SeriesQuery(request.GET)
    if not query.is_valid():
        return JsonResponse({"errors": query.errors.get_json_data()}, status=400)
    forecast = _series_from(query)
    if forecast is not None:
        return JsonResponse(forecast_chart_payload(forecast))
    if query.cleaned_data.get("product") or query.cleaned_data.get("category"):
        return JsonResponse({"detail": "No forecast for it."}, status=404)
    # Nothing asked for and nothing forecast yet: an empty chart.
    return JsonResponse(
        chart_payload(
            kind="line", title="No forecast yet", x_label="Period starting", labels=[], series=[]
        )
    )


@require_POST
def forecasts_run(request: HttpRequest) -> HttpResponse:
    """Start (or find the queued) `sales_forecast` job and go back to the forecast page."""
    _require_view(request)
    if not request.user.has_perm(SUBMIT_JOB_PERMISSION):
        raise PermissionDenied
    job = services.sales_forecast_submit(user=request.user)
    messages.success(
        request,
        format_html(
            'Forecasting sales: <a href="{}">job #{}</a>.',
            reverse("admin:ml_job_change", args=[job.pk]),
            job.pk,
        ),
    )
    return HttpResponseRedirect(reverse("insights:forecasts"))


def reorder(request: HttpRequest) -> HttpResponse:
    """Reorder suggestions and the products at risk of running out (insights.forecast_engine.
    stock), most at risk first."""
    _require_view(request)
    query = ReorderQuery(request.GET)
    valid = query.is_valid()
    data = query.cleaned_data if valid else {}
    rows = (
        selectors.reorder_suggestion_list(
            service_level=data.get("service_level"), at_risk_only=bool(data.get("at_risk"))
        )
        if valid
        else []
    )
    context = {
        **admin.site.each_context(request),
        "title": "Stock at risk and reorder suggestions",
        "subtitle": None,
        "run": selectors.forecast_run_latest(),
        "query": query,
        "rows": rows,
        "at_risk_count": sum(1 for _forecast, suggestion in rows if suggestion.at_risk),
        "service_level": data.get("service_level") or settings.INSIGHTS_SERVICE_LEVEL,
        "default_lead_time": settings.INSIGHTS_DEFAULT_LEAD_TIME_DAYS,
        "review_days": settings.INSIGHTS_REVIEW_PERIOD_DAYS,
    }
    status = 200 if valid else 400
    return TemplateResponse(request, "insights/forecasts/reorder.html", context, status=status)


# --- campaign effect -------------------------------------------------------------------------


def campaign_lift_chart_payload(daily: dict[str, Any]) -> dict[str, Any]:
    """Units per product per day of the campaign's products and of the others, before and
    during the campaign (days of the campaign marked with an asterisk)."""
    starts = daily["campaign_starts"]
    labels = [f"{d.isoformat()}{' *' if d >= starts else ''}" for d in daily["days"]]
    return chart_payload(
        kind="line",
        title="Units per product per day (* campaign running)",
        x_label="Day",
        labels=labels,
        series=[
            chart_series("campaign", "Campaign products", daily["campaign"]),
            chart_series("control", "Other products", daily["control"]),
        ],
    )


def campaign_lift_context(*, campaign_id: int) -> dict[str, Any]:
    """What the campaign page shows of the campaign's effect: the lift with its intervals and
    the daily chart, or why it cannot be measured yet."""
    from insights.exceptions import CampaignLiftUnavailable
    from insights.selectors import campaign_effect

    try:
        lift = campaign_effect.campaign_lift(campaign_id=campaign_id, with_daily=True)
    except CampaignLiftUnavailable as exc:
        return {"unavailable": str(exc)}
    payload = campaign_lift_chart_payload(lift["daily"])
    return {
        **lift,
        "chart": {
            "name": "lift",
            "title": payload["title"],
            "url": reverse("insights:campaign-lift-chart", args=[campaign_id]),
            "table": chart_table(payload),
        },
    }


def campaign_lift_chart(request: HttpRequest, campaign_id: int) -> JsonResponse:
    """The campaign page's lift chart as JSON; 404 for an unknown campaign, 409 while it
    cannot be measured."""
    from insights.exceptions import CampaignLiftUnavailable, CampaignNotFound
    from insights.selectors import campaign_effect

    _require_view(request)
    try:
        daily = campaign_effect.campaign_lift_daily(campaign_id=campaign_id)
    except CampaignNotFound as exc:
        return JsonResponse({"detail": str(exc)}, status=404)
    except CampaignLiftUnavailable as exc:
        return JsonResponse({"detail": str(exc)}, status=409)
    return JsonResponse(campaign_lift_chart_payload(daily))
