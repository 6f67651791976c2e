"""Routes of the staff ML API (jobs, model registry), included under /api/v1/ by
config.api_urls."""

from django.urls import path

from ml.api import views

app_name = "ml-api"

urlpatterns = [
    path("jobs/", views.JobListView.as_view(), name="job-list"),
    path("jobs/<id:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<id:pk>/cancel/", views.JobCancelView.as_view(), name="job-cancel"),
    path("job-kinds/", views.JobKindListView.as_view(), name="job-kind-list"),
    path("models/", views.ModelVersionListView.as_view(), name="modelversion-list"),
    path("models/<id:pk>/", views.ModelVersionDetailView.as_view(), name="modelversion-detail"),
    path(
        "models/<id:pk>/promote/",
        views.ModelVersionPromoteView.as_view(),
        name="modelversion-promote",
    ),
    path(
        "models/tasks/<str:task>/aliases/",
        views.TaskAliasesView.as_view(),
        name="task-aliases",
    ),
    path(
        "models/tasks/<str:task>/rollback/",
        views.TaskRollbackView.as_view(),
        name="task-rollback",
    ),
]
