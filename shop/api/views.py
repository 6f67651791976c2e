"""Views of the store's API: each parses input, calls one selector or service, and renders."""

import hashlib
import json

from django.core.cache import cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shop import selectors, services
from shop.api.pagination import CachedPagePagination
from shop.api.permissions import (
    CanReadCatalogue,
    CanReadReviews,
    CanViewAllOrders,
    CanViewOrders,
    HasEventsWriteScope,
    IsCustomer,
    IsStaff,
)
from shop.api.serializers import (
    CategoryOutputSerializer,
    CustomerTokenInputSerializer,
    CustomerTokenOutputSerializer,
    EventBatchInputSerializer,
    EventBatchOutputSerializer,
    OrderDetailOutputSerializer,
    OrderOutputSerializer,
    ProductListQuerySerializer,
    ProductOutputSerializer,
    ReviewCreateInputSerializer,
    ReviewOutputSerializer,
)
from shop.api.throttling import ApiKeyScopedRateThrottle, CustomerTokenThrottle

BAD_REQUEST = OpenApiResponse(description="Invalid input; the body lists the errors per field.")
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(description="The caller lacks the role or API-key scope.")
NOT_FOUND = OpenApiResponse(description="No such object, or not visible to the caller.")
# Security schemes documented per endpoint: who is expected to call it. (Every endpoint runs the
# same authenticators; its permission class decides.)
STOREFRONT_OR_STAFF_AUTH = [{"ApiKeyAuth": []}, {"tokenAuth": []}, {"cookieAuth": []}]
STOREFRONT_AUTH = [{"ApiKeyAuth": []}]
CUSTOMER_OR_STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]
CUSTOMER_AUTH = [{"tokenAuth": []}]


def _is_staff(request, view) -> bool:
    return IsStaff().has_permission(request, view)


# --- Customer tokens ----------------------------------------------------------------------


class CustomerTokenView(APIView):
    # Credentials travel in the body; a stale header must not turn this into a 401.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [CustomerTokenThrottle]

    @extend_schema(
        tags=["auth"],
        summary="Get a customer's API token",
        description="Exchanges a customer's username and password for their token (created "
        "on first use). Only accounts linked to a customer get one.",
        request=CustomerTokenInputSerializer,
        responses={200: CustomerTokenOutputSerializer, 400: BAD_REQUEST},
        auth=[],
    )
    def post(self, request):
        serializer = CustomerTokenInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = services.customer_token_issue(user=serializer.validated_data["user"])
        return Response(CustomerTokenOutputSerializer({"token": token.key}).data)


# --- Catalogue ------------------------------------------------------------------------------


class CategoryListView(GenericAPIView):
    permission_classes = [CanReadCatalogue]
    serializer_class = CategoryOutputSerializer

    @extend_schema(
        tags=["catalogue"],
        summary="List categories",
        auth=STOREFRONT_OR_STAFF_AUTH,
        responses={200: CategoryOutputSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.category_list())
        return self.get_paginated_response(CategoryOutputSerializer(page, many=True).data)


class CategoryDetailView(GenericAPIView):
    permission_classes = [CanReadCatalogue]
    serializer_class = CategoryOutputSerializer

    def get_queryset(self):
        return selectors.category_list()

    @extend_schema(
        tags=["catalogue"],
        summary="Get a category",
        auth=STOREFRONT_OR_STAFF_AUTH,
        responses={
            200: CategoryOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return Response(CategoryOutputSerializer(self.get_object()).data)


# A rendered page of the product list is reused this long at most. Any product or category
# change makes it stale at once (the key holds the catalogue's cache version); the limit only
# bounds what a per-process cache (the development default) can miss of another process's
# change, and writes made outside the application.
PRODUCT_PAGE_CACHE_SECONDS = 60


class ProductListView(GenericAPIView):
    permission_classes = [CanReadCatalogue]
    serializer_class = ProductOutputSerializer
    pagination_class = CachedPagePagination

    @extend_schema(
        tags=["catalogue"],
        summary="List products",
        auth=STOREFRONT_OR_STAFF_AUTH,
        description="Staff see inactive products too; everyone else only active ones.",
        parameters=[ProductListQuerySerializer],
        responses={
            200: ProductOutputSerializer(many=True),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        # A plain dict, not the QueryDict: an absent boolean must stay absent, not turn False.
        query = ProductListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        category_id = filters["category"].pk if filters.get("category") else None
        include_inactive = _is_staff(request, self)
        # Everything the page's count and rows depend on; the links are built per request.
        key = self._page_cache_key(
            include_inactive=include_inactive,
            category_id=category_id,
            price_min=str(filters.get("price_min")),
            price_max=str(filters.get("price_max")),
            in_stock=filters["in_stock"],
            search=filters["search"],
            ordering=filters["ordering"],
            page=request.query_params.get(self.paginator.page_query_param, "1"),
            page_size=self.paginator.get_page_size(request),
        )
        cached = cache.get(key)
        if cached is not None:
            self.paginator.paginate_cached(request, count=cached["count"])
            return self.get_paginated_response(cached["results"])
        products = selectors.product_list(
            include_inactive=include_inactive,
            category_id=category_id,
            price_min=filters.get("price_min"),
            price_max=filters.get("price_max"),
            in_stock=filters["in_stock"],
            search=filters["search"],
            ordering=filters["ordering"],
        )
        page = self.paginate_queryset(products)
        results = ProductOutputSerializer(page, many=True).data
        cache.set(
            key,
            {"count": self.paginator.page.paginator.count, "results": results},
            PRODUCT_PAGE_CACHE_SECONDS,
        )
        return self.get_paginated_response(results)

    @staticmethod
    def _page_cache_key(**parts) -> str:
        digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]
        return f"products:page:{selectors.catalogue_version()}:{digest}"


class ProductDetailView(GenericAPIView):
    permission_classes = [CanReadCatalogue]
    serializer_class = ProductOutputSerializer

    def get_queryset(self):
        return selectors.product_list(include_inactive=_is_staff(self.request, self))

    @extend_schema(
        tags=["catalogue"],
        summary="Get a product",
        auth=STOREFRONT_OR_STAFF_AUTH,
        responses={
            200: ProductOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return Response(ProductOutputSerializer(self.get_object()).data)


# --- Reviews --------------------------------------------------------------------------------

PRODUCT_ID_PARAMETER = OpenApiParameter(
    "product_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The product's id."
)


class ProductReviewListView(GenericAPIView):
    """GET: the storefront or staff read reviews; POST: a customer reviews what they bought."""

    permission_classes = [CanReadReviews]
    serializer_class = ReviewOutputSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsCustomer()]
        return [permission() for permission in self.permission_classes]

    def _ensure_product_visible(self, product_id: int) -> None:
        if not selectors.product_visible_exists(
            product_id=product_id, include_inactive=_is_staff(self.request, self)
        ):
            raise NotFound("No such product.")

    @extend_schema(
        tags=["reviews"],
        summary="List a product's reviews",
        auth=STOREFRONT_OR_STAFF_AUTH,
        parameters=[PRODUCT_ID_PARAMETER],
        responses={
            200: ReviewOutputSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, product_id: int):
        self._ensure_product_visible(product_id)
        page = self.paginate_queryset(selectors.review_list_for_product(product_id=product_id))
        return self.get_paginated_response(ReviewOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["reviews"],
        summary="Review a product",
        auth=CUSTOMER_AUTH,
        description="Needs a customer token. The customer must have bought the product (in an "
        "order that was not cancelled) and may review it once: a second review is a 400 with "
        "code `duplicate_review`.",
        parameters=[PRODUCT_ID_PARAMETER],
        request=ReviewCreateInputSerializer,
        responses={
            201: ReviewOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Not a customer, or has not bought the product."),
            404: NOT_FOUND,
        },
    )
    def post(self, request, product_id: int):
        self._ensure_product_visible(product_id)
        serializer = ReviewCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_create(
            customer=selectors.customer_for_user(user=request.user),
            product_id=product_id,
            **serializer.validated_data,
        )
        return Response(ReviewOutputSerializer(review).data, status=status.HTTP_201_CREATED)


# --- Orders ---------------------------------------------------------------------------------


def _order_scope(request, view) -> dict:
    """Staff who may view orders see every order; a customer sees only their own."""
    if CanViewAllOrders().has_permission(request, view):
        return {"all_customers": True}
    return {"customer": selectors.customer_for_user(user=request.user)}


class OrderListView(GenericAPIView):
    permission_classes = [CanViewOrders]
    serializer_class = OrderOutputSerializer

    @extend_schema(
        tags=["orders"],
        summary="List orders",
        auth=CUSTOMER_OR_STAFF_AUTH,
        description="A customer sees their own orders, staff with the shop.view_order "
        "permission see everyone's; newest first.",
        responses={200: OrderOutputSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.order_list(**_order_scope(request, self)))
        return self.get_paginated_response(OrderOutputSerializer(page, many=True).data)


class OrderDetailView(GenericAPIView):
    permission_classes = [CanViewOrders]
    serializer_class = OrderDetailOutputSerializer

    def get_queryset(self):
        return selectors.order_list_with_items(**_order_scope(self.request, self))

    @extend_schema(
        tags=["orders"],
        summary="Get an order with its items",
        auth=CUSTOMER_OR_STAFF_AUTH,
        description="Another customer's order is a 404, as if it did not exist.",
        responses={
            200: OrderDetailOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return Response(OrderDetailOutputSerializer(self.get_object()).data)


# --- Behaviour events -----------------------------------------------------------------------


class EventIngestView(APIView):
    permission_classes = [HasEventsWriteScope]
    throttle_classes = [ApiKeyScopedRateThrottle]
    throttle_scope = "events"
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["events"],
        summary="Send a batch of behaviour events",
        auth=STOREFRONT_AUTH,
        description="Needs an API key with the events:write scope. All or nothing: if any "
        "event is invalid nothing is stored and the errors are keyed by the event's index, "
        'e.g. `{"events": {"3": {"product_sku": ["..."]}}}`. Products are referenced by '
        "`product_id` or `product_sku`, people by `customer_external_id` or, for visitors, "
        "`session_id`.",
        request=EventBatchInputSerializer,
        responses={
            201: EventBatchOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            429: OpenApiResponse(description="Too many batches; retry after the given delay."),
        },
    )
    def post(self, request):
        serializer = EventBatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.event_create_batch(events=serializer.validated_data["events"])
        return Response(
            EventBatchOutputSerializer({"created": len(created)}).data,
            status=status.HTTP_201_CREATED,
        )
