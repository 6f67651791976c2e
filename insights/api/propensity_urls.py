"""Routes of the staff insights API on purchase propensity (under /api/v1/)."""

from django.urls import path

from insights.api import propensity_views as views

app_name = "insights-propensity-api"

urlpatterns = [
    path("insights/propensity/", views.PropensityListView.as_view(), name="propensity-list"),
    path(
        "insights/customers/<id:customer_id>/propensity/",
        views.CustomerPropensityView.as_view(),
        name="customer-propensity",
    ),
]
