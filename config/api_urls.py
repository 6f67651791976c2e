"""The one router under /api/v1/: each app contributes its own urls module."""

from django.urls import include, path, register_converter

from config.health import HealthView


class DatabaseIdConverter:
    """`<id:pk>`: a positive integer that fits a 64-bit database key.

    `<int:...>` takes any number of digits, and a lookup with a value past the column's range
    fails in the database (a 500) instead of finding nothing; such a path is a 404 here.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


# Registered before the apps' urls modules, which use it, are included below.
register_converter(DatabaseIdConverter, "id")

# Django tries the patterns in order, a few microseconds each: the storefront's hottest
# reads (recommendations, under one prefix) come first.
urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("recommendations/", include("recommendations.api.urls")),
    path("", include("shop.api.urls")),
    path("", include("ml.api.urls")),
    path("", include("insights.api.urls")),
    path("", include("marketing.api.urls")),
    path("", include("support.api.urls")),
]
