"""Views of the staff insights API on aspects and sentiment alerts: each parses input, calls
one selector or service, and renders."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.aspect_serializers import (
    AlertListQuerySerializer,
    AlertOutputSerializer,
    AspectOutputSerializer,
)
from insights.models import SentimentAlert
from insights.selectors import aspects as selectors
from insights.services import aspects as services
from ml.api.permissions import UserHasPermission
from shop.api.permissions import IsStaff

CHANGE_ALERT_PERMISSION = "insights.change_sentimentalert"
BAD_REQUEST = OpenApiResponse(description="Invalid input; the body lists the errors per field.")
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(
    description="Not staff, or lacking the view permission (insights.view_sentimentalert or "
    "insights.view_aspect)."
)
FORBIDDEN_RESOLVE = OpenApiResponse(
    description="Not staff, or lacking the insights.change_sentimentalert permission."
)
NOT_FOUND = OpenApiResponse(description="No such alert.")
CONFLICT = OpenApiResponse(description="The alert was already resolved the other way.")
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]


class CanResolveAlerts(BasePermission):
    message = "Resolving alerts needs the insights.change_sentimentalert permission."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm(CHANGE_ALERT_PERMISSION))


class CanViewAlerts(UserHasPermission):
    message = "Viewing alerts needs the insights.view_sentimentalert permission."
    permission = "insights.view_sentimentalert"


class CanViewAspects(UserHasPermission):
    message = "Viewing aspects needs the insights.view_aspect permission."
    permission = "insights.view_aspect"


class AlertListView(GenericAPIView):
    permission_classes = [IsStaff, CanViewAlerts]
    serializer_class = AlertOutputSerializer

    @extend_schema(
        tags=["insights"],
        summary="List sentiment alerts",
        auth=STAFF_AUTH,
        description="Alerts raised where the share of negative opinions on a product (aspect "
        "null) or one of its aspects rose significantly above its own history; newest first. "
        "`test` states the statistical test, `statistic` its odds ratio, `evidence` the "
        "negative sentences of the recent window.",
        parameters=[AlertListQuerySerializer],
        responses={
            200: AlertOutputSerializer(many=True),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        query = AlertListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        alerts = selectors.alert_list(
            status=query.validated_data.get("status"),
            product_id=query.validated_data.get("product"),
        )
        page = self.paginate_queryset(alerts)
        return self.get_paginated_response(AlertOutputSerializer(page, many=True).data)


class AlertDetailView(APIView):
    permission_classes = [IsStaff, CanViewAlerts]

    @extend_schema(
        tags=["insights"],
        summary="Get a sentiment alert",
        auth=STAFF_AUTH,
        responses={
            200: AlertOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        try:
            alert = selectors.alert_get(alert_id=pk)
        except SentimentAlert.DoesNotExist as exc:
            raise services.AlertNotFound(f"No sentiment alert {pk}.") from exc
        return Response(AlertOutputSerializer(alert).data)


class _AlertResolveView(APIView):
    permission_classes = [IsStaff, CanResolveAlerts]
    status: str = ""

    def post(self, request, pk: int):
        services.alert_resolve(alert_id=pk, status=self.status, user=request.user)
        return Response(AlertOutputSerializer(selectors.alert_get(alert_id=pk)).data)


def _resolve_schema(action: str, status: str):
    return extend_schema(
        tags=["insights"],
        summary=f"{action.capitalize()} a sentiment alert",
        auth=STAFF_AUTH,
        description=f"Marks an open alert {status}, recording who and when. Doing it again is "
        "a no-op; an alert resolved the other way is a 409 (`alert_not_open`).",
        request=None,
        responses={
            200: AlertOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_RESOLVE,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )


class AlertAcknowledgeView(_AlertResolveView):
    status = SentimentAlert.Status.ACKNOWLEDGED

    @_resolve_schema("acknowledge", "acknowledged")
    def post(self, request, pk: int):
        return super().post(request, pk)


class AlertDismissView(_AlertResolveView):
    status = SentimentAlert.Status.DISMISSED

    @_resolve_schema("dismiss", "dismissed")
    def post(self, request, pk: int):
        return super().post(request, pk)


class AspectListView(APIView):
    permission_classes = [IsStaff, CanViewAspects]

    @extend_schema(
        tags=["insights"],
        summary="List aspects",
        auth=STAFF_AUTH,
        description="The aspects reviews are analysed for (editable in the admin), with how "
        "many opinions on each were found, and how many were negative and positive.",
        responses={200: AspectOutputSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        return Response(AspectOutputSerializer(selectors.aspect_list_with_counts(), many=True).data)
