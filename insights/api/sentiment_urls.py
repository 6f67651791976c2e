"""Routes of the review sentiment API (under /api/v1/)."""

from django.urls import path

from insights.api import sentiment_views as views

app_name = "insights-sentiment-api"

urlpatterns = [
    path(
        "products/<id:product_id>/sentiment/",
        views.ProductSentimentView.as_view(),
        name="product-sentiment",
    ),
    path("insights/sentiment/", views.SentimentTrendView.as_view(), name="sentiment-trend"),
    path(
        "insights/sentiment/rescore/",
        views.SentimentRescoreView.as_view(),
        name="sentiment-rescore",
    ),
]
