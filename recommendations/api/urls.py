"""Routes of the recommendations API, included under /api/v1/ by config.api_urls."""

from django.urls import path

from recommendations.api import views

app_name = "recs-api"

urlpatterns = [
    path("recommendations/for-you/", views.ForYouView.as_view(), name="for-you"),
    path("recommendations/similar/<id:product_id>/", views.SimilarView.as_view(), name="similar"),
    path(
        "recommendations/bought-together/<id:product_id>/",
        views.BoughtTogetherView.as_view(),
        name="bought-together",
    ),
    path("recommendations/trending/", views.TrendingView.as_view(), name="trending"),
    path("recommendations/events/", views.ListEventsView.as_view(), name="events"),
    path("recommendations/report/", views.ListReportView.as_view(), name="report"),
]
