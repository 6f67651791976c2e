"""Routes of the recommendations API, under /api/v1/recommendations/ (config.api_urls)."""

from django.urls import path

from recommendations.api import views

app_name = "recs-api"

urlpatterns = [
    path("for-you/", views.ForYouView.as_view(), name="for-you"),
    path("similar/<id:product_id>/", views.SimilarView.as_view(), name="similar"),
    path(
        "bought-together/<id:product_id>/",
        views.BoughtTogetherView.as_view(),
        name="bought-together",
    ),
    path("trending/", views.TrendingView.as_view(), name="trending"),
    path("events/", views.ListEventsView.as_view(), name="events"),
    path("report/", views.ListReportView.as_view(), name="report"),
]
