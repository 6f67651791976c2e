from django.urls import include, path

urlpatterns = [
    path("", include("insights.api.sentiment_urls")),
    path("", include("insights.api.aspect_urls")),
    path("", include("insights.api.customer_urls")),
    path("", include("insights.api.forecast_urls")),
    path("", include("insights.api.propensity_urls")),
    path("", include("insights.api.cluster_urls")),
]
