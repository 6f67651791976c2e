"""Routes of the store's API, included under /api/v1/ by config.api_urls."""

from django.urls import path

from shop.api import privacy_views, views

app_name = "shop-api"

urlpatterns = [
    path("auth/token/", views.CustomerTokenView.as_view(), name="customer-token"),
    path("categories/", views.CategoryListView.as_view(), name="category-list"),
    path("categories/<id:pk>/", views.CategoryDetailView.as_view(), name="category-detail"),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/<id:pk>/", views.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/<id:product_id>/reviews/",
        views.ProductReviewListView.as_view(),
        name="product-review-list",
    ),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<id:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("events/", views.EventIngestView.as_view(), name="event-ingest"),
    path("me/export/", privacy_views.MyExportView.as_view(), name="my-export"),
    path("me/erase/", privacy_views.MyErasureView.as_view(), name="my-erase"),
    path(
        "privacy/customers/<id:customer_id>/export/",
        privacy_views.CustomerExportView.as_view(),
        name="customer-export",
    ),
    path(
        "privacy/customers/<id:customer_id>/erase/",
        privacy_views.CustomerEraseView.as_view(),
        name="customer-erase",
    ),
]
