"""Routes of the staff insights API on behaviour clusters and search topics (under /api/v1/)."""

from django.urls import path

from insights.api import cluster_views as views

app_name = "insights-clusters-api"

urlpatterns = [
    path("insights/clusters/", views.ClusterListView.as_view(), name="cluster-list"),
    path(
        "insights/clusters/<id:cluster_id>/customers/",
        views.ClusterCustomersView.as_view(),
        name="cluster-customers",
    ),
    path("insights/search-topics/", views.SearchTopicListView.as_view(), name="search-topics"),
]
