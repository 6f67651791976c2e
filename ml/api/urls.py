"""Routes of the jobs API, included under /api/v1/ by config.api_urls."""

from django.urls import path

from ml.api import views

app_name = "ml-api"

urlpatterns = [
    path("jobs/", views.JobListView.as_view(), name="job-list"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/cancel/", views.JobCancelView.as_view(), name="job-cancel"),
    path("job-kinds/", views.JobKindListView.as_view(), name="job-kind-list"),
]
