"""Views of the staff insights API on purchase propensity: each parses input, calls one
selector, and renders."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.propensity_serializers import (
    PropensityListQuerySerializer,
    PropensityOutputSerializer,
)
from insights.exceptions import CustomerNotFound, CustomerNotScored
from insights.models import PurchasePropensity
from insights.selectors import propensity as selectors
from ml.api.permissions import UserHasPermission
from shop import selectors as shop_selectors
from shop.api.permissions import IsStaff

UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(
    description="Not staff, or lacking the insights.view_purchasepropensity permission."
)
BAD_INPUT = OpenApiResponse(description="Invalid query parameters (field errors).")
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]


class CanViewPropensity(UserHasPermission):
    message = "Purchase propensity needs the insights.view_purchasepropensity permission."
    permission = "insights.view_purchasepropensity"


class PropensityListView(GenericAPIView):
    permission_classes = [IsStaff, CanViewPropensity]
    serializer_class = PropensityOutputSerializer

    @extend_schema(
        tags=["insights"],
        summary="List customers by purchase propensity",
        auth=STAFF_AUTH,
        description="Every scored customer's probability of ordering within `horizon_days`, "
        "most likely first, with the largest effects behind it; `min_probability` keeps a "
        "campaign's target list. Scored nightly by the champion purchase_propensity model; "
        "only customers who allow profiling.",
        parameters=[PropensityListQuerySerializer],
        responses={
            200: PropensityOutputSerializer(many=True),
            400: BAD_INPUT,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        query = PropensityListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        scores = selectors.propensity_list()
        if query.validated_data.get("min_probability") is not None:
            scores = scores.filter(probability__gte=query.validated_data["min_probability"])
        page = self.paginate_queryset(scores)
        return self.get_paginated_response(PropensityOutputSerializer(page, many=True).data)


class CustomerPropensityView(APIView):
    permission_classes = [IsStaff, CanViewPropensity]

    @extend_schema(
        tags=["insights"],
        summary="A customer's purchase propensity",
        auth=STAFF_AUTH,
        description="The customer's probability of ordering within `horizon_days` and the "
        "largest effects behind it (integrated gradients of the log-odds from the average "
        "customer). 404 `customer_not_found` for an unknown customer, `customer_not_scored` "
        "for one without a score (no profiling consent, or not scored yet).",
        parameters=[
            OpenApiParameter(
                "customer_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The customer."
            )
        ],
        responses={
            200: PropensityOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such customer, or the customer has no score."),
        },
    )
    def get(self, request, customer_id: int):
        try:
            score = selectors.propensity_get(customer_id=customer_id)
        except PurchasePropensity.DoesNotExist:
            if not shop_selectors.customer_exists(customer_id=customer_id):
                raise CustomerNotFound(f"No customer {customer_id}.") from None
            raise CustomerNotScored(
                f"Customer {customer_id} has no purchase propensity yet: customers are scored "
                "nightly once a model is trained, and only while they allow profiling."
            ) from None
        return Response(PropensityOutputSerializer(score).data)
