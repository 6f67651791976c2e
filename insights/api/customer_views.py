"""Views of the staff insights API on customer segments and value: each parses input, calls
one selector, and renders."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.customer_serializers import (
    CustomerScoreOutputSerializer,
    SegmentListOutputSerializer,
)
from insights.exceptions import CustomerNotFound, CustomerNotScored
from insights.models import CustomerScore
from insights.selectors import customers as selectors
from shop import selectors as shop_selectors
from shop.api.permissions import IsStaff

VIEW_SCORES_PERMISSION = "insights.view_customerscore"
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(
    description="Not staff, or lacking the insights.view_customerscore permission."
)
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]


class CanViewCustomerScores(BasePermission):
    """Scores are derived from customers' orders: the same permission as in the admin."""

    message = "Customer scores need the insights.view_customerscore permission."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm(VIEW_SCORES_PERMISSION))


class SegmentListView(APIView):
    permission_classes = [IsStaff, CanViewCustomerScores]

    @extend_schema(
        tags=["insights"],
        summary="List customer segments",
        auth=STAFF_AUTH,
        description="Every RFM segment with its rule (on the 1-5 quintile scores of recency "
        "and frequency), size, share of scored customers, mean expected lifetime value and "
        "mean churn risk, as of the latest recompute (nightly). Staff with the "
        "insights.view_customerscore permission.",
        responses={200: SegmentListOutputSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        summary = selectors.segment_summary()
        run = selectors.customer_value_run_latest()
        payload = {
            "as_of": run.as_of if run else None,
            "computed_at": run.created_at if run else None,
            "total": summary["total"],
            "results": summary["segments"],
        }
        return Response(SegmentListOutputSerializer(payload).data)


class CustomerScoresView(APIView):
    permission_classes = [IsStaff, CanViewCustomerScores]

    @extend_schema(
        tags=["insights"],
        summary="A customer's segment, churn risk and value",
        auth=STAFF_AUTH,
        description="The customer's RFM measures and scores, segment (with its rule), "
        "P(alive) and churn risk (1 - P(alive)), expected purchases and discounted expected "
        "spend (clv) over `horizon_months`, and which run computed them. Value fields are "
        "null when the run could not fit the model behind them. 404 `customer_not_found` for "
        "an unknown customer, `customer_not_scored` for one without a score (no order that "
        "was not cancelled or returned, no profiling consent, or not recomputed yet).",
        parameters=[
            OpenApiParameter(
                "customer_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The customer."
            )
        ],
        responses={
            200: CustomerScoreOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such customer, or the customer has no score."),
        },
    )
    def get(self, request, customer_id: int):
        try:
            score = selectors.customer_score_get(customer_id=customer_id)
        except CustomerScore.DoesNotExist:
            if not shop_selectors.customer_exists(customer_id=customer_id):
                raise CustomerNotFound(f"No customer {customer_id}.") from None
            raise CustomerNotScored(
                f"Customer {customer_id} has no score yet: customers are scored once they have "
                "an order that was not cancelled or returned, and only while they allow "
                "profiling."
            ) from None
        return Response(CustomerScoreOutputSerializer(score).data)
