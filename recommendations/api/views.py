"""The storefront's recommendation lists, list feedback, and the online report (staff)."""

import json

from django.core.cache import cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import validated_query
from recommendations import selectors, services, serving
from recommendations.api.permissions import CanReadRecommendations, CanReportListEvents
from recommendations.api.serializers import (
    ForYouQuerySerializer,
    ListEventBatchSerializer,
    ListQuerySerializer,
    ListReportRowSerializer,
    RecommendationListSerializer,
    TrendingQuerySerializer,
)
from shop import selectors as shop_selectors
from shop.api.permissions import IsStaff

BAD_REQUEST = OpenApiResponse(description="Invalid input; the body lists the errors per field.")
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(description="The caller lacks the role or API-key scope.")
READ_AUTH = [{"ApiKeyAuth": []}, {"tokenAuth": []}, {"cookieAuth": []}]
LIST_RESPONSES = {
    200: RecommendationListSerializer,
    400: BAD_REQUEST,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
}
# Item lists change only when the champion or the stock changes; a minute keeps them fresh.
CACHE_SECONDS = 60


class RenderedJSON(Response):
    """A response whose JSON is already rendered (a cached list's bytes).

    Rendering a list costs about as much as the rest of a cached request; the cache keeps the
    bytes DRF's JSONRenderer made, and this response sends them as they are. Any other
    rendering (the browsable API, an `indent` in the Accept header) decodes them and renders
    as usual.
    """

    def __init__(self, rendered: bytes):
        super().__init__()
        self.rendered_json = rendered

    @property
    def rendered_content(self):
        renderer = getattr(self, "accepted_renderer", None)
        if type(renderer) is JSONRenderer and not renderer.get_indent(
            self.accepted_media_type, self.renderer_context
        ):
            self["Content-Type"] = renderer.media_type
            return self.rendered_json
        self.data = json.loads(self.rendered_json)
        return super().rendered_content


def _cached(key: str, build) -> RenderedJSON:
    """The rendered list, cached a short while. Item lists are memoised per champion in the
    process (recommendations.serving), so this only saves the rendering; it is keyed by the
    served champion so that a promotion shows within the model cache's check interval."""
    served = serving.champion_version_id()
    full_key = f"recs:{served}:{key}"
    rendered = cache.get(full_key)
    if rendered is None:
        rendered = JSONRenderer().render(serving.render(build()))
        cache.set(full_key, rendered, CACHE_SECONDS)
    return RenderedJSON(rendered)


PRODUCT_PARAMETER = OpenApiParameter(
    "product_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The product (an unknown one gets a fallback list, not an error).",
)
ITEM_LIST_RESPONSES = {
    **LIST_RESPONSES,
    404: OpenApiResponse(description="The path's product id is not a number."),
}


class ForYouView(APIView):
    permission_classes = [CanReadRecommendations]

    @extend_schema(
        tags=["recommendations"],
        summary="Personal recommendations",
        auth=READ_AUTH,
        description="A customer's list (precomputed by the champion, or computed now when the "
        "session has new events), or an anonymous session's list from its recent events, each "
        "item with its reason. Unknown customers and sessions without history get trending "
        "products (see `fallback`).",
        parameters=[ForYouQuerySerializer],
        responses=LIST_RESPONSES,
    )
    def get(self, request):
        params = validated_query(ForYouQuerySerializer, request.query_params)
        customer_id = params.get("customer")
        if not IsStaff().has_permission(request, self):
            own = shop_selectors.customer_for_user(user=request.user)
            if own is not None:  # a customer token: always their own list
                customer_id = own.pk
        # An unknown customer has no list and no history, so the trending fallback serves.
        session_id = params.get("session", "")
        limit = params["limit"]
        if session_id:  # the session's newest events count at once: never cached
            found = serving.for_you(limit, customer_id=customer_id, session_id=session_id)
            # Built in the documented shape (RecommendationListSerializer, which the schema
            # and the tests use); serialising it again per request would double the cost.
            return Response(serving.render(found))
        # A customer's list changes when lists are recomputed or new behaviour arrives;
        # a minute's cache (per champion) keeps repeat page views cheap.
        return _cached(
            f"foryou:{customer_id}:{limit}",
            lambda: serving.for_you(limit, customer_id=customer_id),
        )


class _ItemListView(APIView):
    """A list anchored on one product; subclasses name it and the serving function."""

    permission_classes = [CanReadRecommendations]
    cache_prefix = ""
    build = staticmethod(serving.similar)

    def get(self, request, product_id: int):
        limit = validated_query(ListQuerySerializer, request.query_params)["limit"]
        return _cached(
            f"{self.cache_prefix}:{product_id}:{limit}", lambda: self.build(product_id, limit)
        )


def _item_list_schema(summary: str, description: str):
    return extend_schema(
        tags=["recommendations"],
        summary=summary,
        auth=READ_AUTH,
        description=description,
        parameters=[PRODUCT_PARAMETER, ListQuerySerializer],
        responses=ITEM_LIST_RESPONSES,
    )


class SimilarView(_ItemListView):
    cache_prefix = "similar"
    build = staticmethod(serving.similar)

    @_item_list_schema(
        "Products similar to a product",
        "Viewed by the same shoppers, or similar in text (which also serves new products). "
        "An unknown product gets trending products (see `fallback`).",
    )
    def get(self, request, product_id: int):
        return super().get(request, product_id)


class BoughtTogetherView(_ItemListView):
    cache_prefix = "together"
    build = staticmethod(serving.bought_together)

    @_item_list_schema(
        "Products often bought with a product",
        "From the store's orders; similar products fill a short list. An unknown product "
        "gets trending products (see `fallback`).",
    )
    def get(self, request, product_id: int):
        return super().get(request, product_id)


class TrendingView(APIView):
    permission_classes = [CanReadRecommendations]

    @extend_schema(
        tags=["recommendations"],
        summary="Trending products",
        auth=READ_AUTH,
        description="Products with the most recent activity (older events fade), optionally "
        "in one category and its subcategories.",
        parameters=[TrendingQuerySerializer],
        responses=LIST_RESPONSES,
    )
    def get(self, request):
        params = validated_query(TrendingQuerySerializer, request.query_params)
        limit, category = params["limit"], params.get("category")
        return _cached(
            f"trending:{category}:{limit}",
            lambda: serving.trending(limit, category_id=category),
        )


class ListEventsView(APIView):
    permission_classes = [CanReportListEvents]

    @extend_schema(
        tags=["recommendations"],
        summary="Report impressions and clicks of recommendation lists",
        auth=[{"ApiKeyAuth": []}],
        description="Up to 1,000 events; all are saved or, on any error, none (the errors are "
        "listed by row). Conversions are computed from orders, never reported.",
        request=ListEventBatchSerializer,
        responses={
            201: OpenApiResponse(description="Saved; the body says how many."),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        batch = ListEventBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        saved = services.list_event_create_batch(events=batch.validated_data["events"])
        return Response({"saved": saved}, status=status.HTTP_201_CREATED)


class ListReportView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["recommendations"],
        summary="Online metrics of the lists",
        auth=[{"tokenAuth": []}, {"cookieAuth": []}],
        description="Per list type and model version: impressions, clicks, click-through "
        "rate and conversions (an order of the clicked product by the same customer within "
        "7 days). Staff only.",
        responses={200: ListReportRowSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        return Response(ListReportRowSerializer(selectors.list_report(), many=True).data)
