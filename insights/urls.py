"""Admin pages of insights, mounted at /admin/insights/ by config.urls (before the admin's own
routes, which own every other /admin/insights/... path)."""

from django.contrib import admin
from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("dashboard/", admin.site.admin_view(views.dashboard), name="dashboard"),
    path(
        "product/<int:product_id>/panel/",
        admin.site.admin_view(views.product_panel),
        name="product-panel",
    ),
    path("segments/", admin.site.admin_view(views.segments), name="segments"),
    path(
        "segments/recompute/",
        admin.site.admin_view(views.segments_recompute),
        name="segments-recompute",
    ),
    path(
        "customer/<int:customer_id>/panel/",
        admin.site.admin_view(views.customer_panel),
        name="customer-panel",
    ),
]

# Sales forecasts and stock (insights.forecast_views).
from insights import forecast_views  # noqa: E402

urlpatterns += [
    path("forecasts/", admin.site.admin_view(forecast_views.forecasts), name="forecasts"),
    path(
        "forecasts/chart.json",
        admin.site.admin_view(forecast_views.forecast_chart),
        name="forecast-chart",
    ),
    path(
        "forecasts/run/", admin.site.admin_view(forecast_views.forecasts_run), name="forecasts-run"
    ),
    path("reorder/", admin.site.admin_view(forecast_views.reorder), name="reorder"),
    path(
        "campaigns/<int:campaign_id>/lift.json",
        admin.site.admin_view(forecast_views.campaign_lift_chart),
        name="campaign-lift-chart",
    ),
]

# Purchase propensity (insights.propensity_views).
from insights import propensity_views  # noqa: E402

urlpatterns += [
    path("propensity/", admin.site.admin_view(propensity_views.propensity), name="propensity"),
    path(
        "propensity/<slug:name>.json",
        admin.site.admin_view(propensity_views.propensity_chart),
        name="propensity-chart",
    ),
    path(
        "propensity/<slug:action>/",
        admin.site.admin_view(propensity_views.propensity_run),
        name="propensity-run",
    ),
]

# The staff home and its chart endpoints (insights.home).
from insights.home.urls import urlpatterns as home_urlpatterns  # noqa: E402

urlpatterns += home_urlpatterns

# Behaviour clusters and search insights (insights.cluster_views).
from insights import cluster_views  # noqa: E402

urlpatterns += [
    path("clusters/", admin.site.admin_view(cluster_views.clusters), name="clusters"),
    path(
        "clusters/chart.json",
        admin.site.admin_view(cluster_views.clusters_chart),
        name="clusters-chart",
    ),
    path("clusters/run/", admin.site.admin_view(cluster_views.clusters_run), name="clusters-run"),
    path("search/", admin.site.admin_view(cluster_views.search_topics), name="search-topics"),
    path(
        "search/chart.json", admin.site.admin_view(cluster_views.search_chart), name="search-chart"
    ),
    path("search/run/", admin.site.admin_view(cluster_views.search_run), name="search-run"),
]
