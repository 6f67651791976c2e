"""The one router under /api/v1/: each app contributes its own urls module."""

from django.urls import include, path

urlpatterns = [
    path("", include("shop.api.urls")),
    path("", include("ml.api.urls")),
    path("", include("insights.api.urls")),
]
