"""Routes of the marketing API, included under /api/v1/ by config.api_urls."""

from django.urls import path

from marketing.api import views

app_name = "marketing-api"

urlpatterns = [
    # Before the placement route: "events" is not a placement.
    path("ads/events/", views.AdEventsView.as_view(), name="ad-events"),
    path("ads/<slug:placement>/", views.AdChoiceView.as_view(), name="ad-choice"),
    path(
        "marketing/campaigns/<id:campaign_id>/report/",
        views.CampaignReportView.as_view(),
        name="campaign-report",
    ),
]
