"""Routes of the staff insights API on sales forecasts and stock (under /api/v1/)."""

from django.urls import path

from insights.api import forecast_views as views

app_name = "insights-forecasts-api"

urlpatterns = [
    path("insights/forecasts/", views.ForecastListView.as_view(), name="forecast-list"),
    path(
        "insights/forecasts/products/<id:product_id>/",
        views.ProductForecastView.as_view(),
        name="forecast-product",
    ),
    path(
        "insights/forecasts/categories/<id:category_id>/",
        views.CategoryForecastView.as_view(),
        name="forecast-category",
    ),
    path(
        "insights/reorder-suggestions/",
        views.ReorderSuggestionListView.as_view(),
        name="reorder-suggestions",
    ),
    path(
        "insights/campaigns/<id:campaign_id>/lift/",
        views.CampaignLiftView.as_view(),
        name="campaign-lift",
    ),
]
