"""Routes of the staff insights API on aspects and sentiment alerts (under /api/v1/)."""

from django.urls import path

from insights.api import aspect_views as views

app_name = "insights-aspects-api"

urlpatterns = [
    path("insights/alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("insights/alerts/<id:pk>/", views.AlertDetailView.as_view(), name="alert-detail"),
    path(
        "insights/alerts/<id:pk>/acknowledge/",
        views.AlertAcknowledgeView.as_view(),
        name="alert-acknowledge",
    ),
    path(
        "insights/alerts/<id:pk>/dismiss/",
        views.AlertDismissView.as_view(),
        name="alert-dismiss",
    ),
    path("insights/aspects/", views.AspectListView.as_view(), name="aspect-list"),
]
