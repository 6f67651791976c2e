"""Routes of the staff insights API on customer segments and value (under /api/v1/)."""

from django.urls import path

from insights.api import customer_views as views

app_name = "insights-customers-api"

urlpatterns = [
    path("insights/segments/", views.SegmentListView.as_view(), name="segment-list"),
    path(
        "insights/customers/<id:customer_id>/scores/",
        views.CustomerScoresView.as_view(),
        name="customer-scores",
    ),
]
