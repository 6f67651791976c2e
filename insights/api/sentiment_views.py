"""Views of the review sentiment API: a product's sentiment (storefront and staff), sentiment
by category and period, and re-scoring with the champion (staff)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.sentiment_serializers import (
    ProductSentimentOutputSerializer,
    SentimentRescoreOutputSerializer,
    SentimentTrendOutputSerializer,
    SentimentTrendQuerySerializer,
)
from insights.selectors import sentiment as selectors
from insights.services import sentiment as services
from ml.api.permissions import CanSubmitJobs, UserHasPermission
from shop import selectors as shop_selectors
from shop.api.permissions import CanReadReviews, IsStaff

BAD_REQUEST = OpenApiResponse(description="Invalid input; the body lists the errors per field.")
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(description="The caller lacks the role or API-key scope.")
STOREFRONT_OR_STAFF_AUTH = [{"ApiKeyAuth": []}, {"tokenAuth": []}, {"cookieAuth": []}]
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]


class ProductSentimentView(APIView):
    permission_classes = [CanReadReviews]

    @extend_schema(
        tags=["insights"],
        summary="A product's review sentiment",
        auth=STOREFRONT_OR_STAFF_AUTH,
        description="Distribution of the sentiment labels the champion model gave the "
        "product's reviews (counts and shares), the champion's version, the aspects reviews "
        "talk about and the review summary. Staff, or an API key with reviews:read (or "
        "catalogue:read).",
        parameters=[
            OpenApiParameter(
                "product_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The product."
            )
        ],
        responses={
            200: ProductSentimentOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such product, or not visible to the caller."),
        },
    )
    def get(self, request, product_id: int):
        if not shop_selectors.product_visible_exists(
            product_id=product_id,
            include_inactive=IsStaff().has_permission(request, self),
        ):
            raise NotFound("No such product.")
        payload = selectors.product_sentiment_payload(product_id)
        return Response(ProductSentimentOutputSerializer(payload).data)


class CanViewSentiment(UserHasPermission):
    message = "Sentiment by period needs the insights.view_reviewsentiment permission."
    permission = "insights.view_reviewsentiment"


class SentimentTrendView(APIView):
    permission_classes = [IsStaff, CanViewSentiment]

    @extend_schema(
        tags=["insights"],
        summary="Review sentiment by category (or product) and period",
        auth=STAFF_AUTH,
        description="Counts and shares of each sentiment label among scored reviews, per "
        "group (category, product or the whole store) and week or month of writing. Staff "
        "with the insights.view_reviewsentiment permission.",
        parameters=[SentimentTrendQuerySerializer],
        responses={
            200: SentimentTrendOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        query = SentimentTrendQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        champion = selectors.sentiment_champion()
        payload = {
            "group": query.validated_data["group"],
            "period": query.validated_data["period"],
            "model_version": (
                {"id": champion.pk, "task": champion.task, "version": champion.version}
                if champion
                else None
            ),
            "results": selectors.sentiment_distribution_by_period(**query.validated_data),
        }
        return Response(SentimentTrendOutputSerializer(payload).data)


class SentimentRescoreView(APIView):
    # Queues a job, like the admin's re-score button: the same permission.
    permission_classes = [IsStaff, CanSubmitJobs]

    @extend_schema(
        tags=["insights"],
        summary="Re-score every review with the champion",
        auth=STAFF_AUTH,
        description="Queues a `sentiment_score` job that re-scores each review not scored by "
        "the current champion (after a promotion: all of them). A re-score already waiting in "
        "the queue is returned instead of a second one. 404 `alias_not_set` without a "
        "champion. Needs the ml.add_job permission.",
        request=None,
        responses={
            202: SentimentRescoreOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No sentiment model is champion."),
        },
    )
    def post(self, request):
        job = services.sentiment_rescore_submit(user=request.user)
        body = {"job_id": job.pk, "kind": job.kind, "status": job.status}
        return Response(
            SentimentRescoreOutputSerializer(body).data, status=status.HTTP_202_ACCEPTED
        )
