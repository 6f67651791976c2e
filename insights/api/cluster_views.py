"""Views of the staff insights API on behaviour clusters and search topics: each parses input,
calls selectors, and renders."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.cluster_serializers import (
    ClusterCustomerPageSerializer,
    ClusterCustomersQuerySerializer,
    ClusterListOutputSerializer,
    SearchTopicListOutputSerializer,
    SearchTopicQuerySerializer,
)
from insights.exceptions import ClusterNotCurrent, ClusterNotFound
from insights.models import BehaviourCluster
from insights.selectors import clusters as selectors
from insights.selectors import search_insights as search_selectors
from shop.api.permissions import IsStaff

VIEW_CLUSTERS_PERMISSION = "insights.view_behaviourcluster"
VIEW_CLUSTER_CUSTOMERS_PERMISSION = "insights.view_behaviourclusterassignment"
VIEW_SEARCH_TOPICS_PERMISSION = "insights.view_searchtopic"
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
BAD_INPUT = OpenApiResponse(description="Invalid query parameters (field errors).")
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]


def _needs(permission: str) -> type[BasePermission]:
    class HasPermission(BasePermission):
        message = f"This needs the {permission} permission."

        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.has_perm(permission))

    HasPermission.__name__ = f"Has_{permission.replace('.', '_')}"
    return HasPermission


def _forbidden(permission: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"Not staff, or lacking the {permission} permission.")


class ClusterListView(APIView):
    permission_classes = [IsStaff, _needs(VIEW_CLUSTERS_PERMISSION)]

    @extend_schema(
        tags=["insights"],
        summary="List behaviour clusters",
        auth=STAFF_AUTH,
        description="The latest run's clusters of customers (k-means on standardised "
        "behaviour features and text embeddings), each with its name and who gave it "
        "(`rule`: built from the facts, `generator`, `staff`), size, facts and centroid. "
        "Empty before the first `behaviour_clusters` job.",
        responses={
            200: ClusterListOutputSerializer,
            401: UNAUTHENTICATED,
            403: _forbidden(VIEW_CLUSTERS_PERMISSION),
        },
    )
    def get(self, request):
        run = selectors.cluster_run_latest()
        payload = {
            "run_id": run.pk if run else None,
            "as_of": run.as_of if run else None,
            "computed_at": run.created_at if run else None,
            "k": run.k if run else None,
            "silhouette": run.silhouette if run else None,
            "customers": run.customers if run else 0,
            "features": run.features if run else [],
            "results": list(selectors.cluster_list(run=run)) if run else [],
        }
        return Response(ClusterListOutputSerializer(payload).data)


class ClusterCustomersView(APIView):
    permission_classes = [IsStaff, _needs(VIEW_CLUSTER_CUSTOMERS_PERMISSION)]

    @extend_schema(
        tags=["insights"],
        summary="A cluster's customers",
        auth=STAFF_AUTH,
        description="The customers of a cluster of the latest run, nearest to its centre first, "
        "paginated (`page`, `page_size` up to 500): a campaign target list. Filter with "
        "`marketing_consent`. 404 `cluster_not_found` for an unknown cluster, "
        "`cluster_not_current` for one of an earlier run (customers' clusters are kept for the "
        "latest run only).",
        parameters=[
            OpenApiParameter(
                "cluster_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The cluster."
            ),
            ClusterCustomersQuerySerializer,
        ],
        responses={
            200: ClusterCustomerPageSerializer,
            400: BAD_INPUT,
            401: UNAUTHENTICATED,
            403: _forbidden(VIEW_CLUSTER_CUSTOMERS_PERMISSION),
            404: OpenApiResponse(description="No such cluster, or not of the latest run."),
        },
    )
    def get(self, request, cluster_id: int):
        query = ClusterCustomersQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        try:
            cluster = selectors.cluster_get(cluster_id=cluster_id)
        except BehaviourCluster.DoesNotExist:
            raise ClusterNotFound(f"No cluster {cluster_id}.") from None
        latest = selectors.cluster_run_latest()
        if latest is None or cluster.run_id != latest.pk:
            raise ClusterNotCurrent(
                f"Cluster {cluster_id} belongs to an earlier run; customers' clusters are kept "
                "for the latest run only."
            )
        data = query.validated_data
        customers = selectors.cluster_customer_list(cluster_id=cluster.pk)
        if data["marketing_consent"] is not None:
            customers = customers.filter(customer__marketing_consent=data["marketing_consent"])
        page, size = data["page"], data["page_size"]
        payload = {
            "count": customers.count(),
            "page": page,
            "page_size": size,
            "results": list(customers[(page - 1) * size : page * size]),
        }
        return Response(ClusterCustomerPageSerializer(payload).data)


class SearchTopicListView(APIView):
    permission_classes = [IsStaff, _needs(VIEW_SEARCH_TOPICS_PERMISSION)]

    @extend_schema(
        tags=["insights"],
        summary="List search topics, rising topics and unmet demand",
        auth=STAFF_AUTH,
        description="The latest `search_insights` run: search queries grouped by meaning "
        "(`kind=topic`) and groups of queries no product matches (`kind=unmet`: encoder "
        "similarity to every product below the run's threshold and no product whose title or "
        "category holds all the query's words), each with example queries, weekly volumes and "
        "growth. `rising=true`: only topics rising by the run's rule (in `rules`), fastest "
        "first. Empty before the first run.",
        parameters=[SearchTopicQuerySerializer],
        responses={
            200: SearchTopicListOutputSerializer,
            400: BAD_INPUT,
            401: UNAUTHENTICATED,
            403: _forbidden(VIEW_SEARCH_TOPICS_PERMISSION),
        },
    )
    def get(self, request):
        query = SearchTopicQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        run = search_selectors.search_run_latest()
        topics = (
            list(
                search_selectors.search_topic_list(
                    run=run, kind=data.get("kind"), rising=data["rising"]
                )[: data["limit"]]
            )
            if run
            else []
        )
        payload = {
            "run_id": run.pk if run else None,
            "as_of": run.as_of if run else None,
            "computed_at": run.created_at if run else None,
            "week_starts": run.week_starts if run else [],
            "weekly_volume": run.weekly_volume if run else [],
            "rules": run.params if run else {},
            "results": topics,
        }
        return Response(SearchTopicListOutputSerializer(payload).data)
