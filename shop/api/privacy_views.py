"""Views of customers' privacy requests: export (everything the store holds about a customer,
as JSON) and erasure, for staff with the permission and for a customer about themselves."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import PrivacyRequest
from shop.api.permissions import IsCustomer, StaffWithPermission
from shop.api.views import BAD_REQUEST, FORBIDDEN, UNAUTHENTICATED
from shop.models import Customer
from shop.privacy import selectors, services
from shop.privacy.exceptions import CustomerNotFound
from shop.selectors import customer_for_user

STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]
CUSTOMER_AUTH = [{"tokenAuth": []}]
NOT_FOUND = OpenApiResponse(description="No such customer (`customer_not_found`).")
CONFLICT = OpenApiResponse(description="The customer was erased already.")


class CanExportCustomerData(StaffWithPermission):
    message = "Requires the audit.export_customer_data permission."
    permission = "audit.export_customer_data"


class CanEraseCustomer(StaffWithPermission):
    message = "Requires the audit.erase_customer permission."
    permission = "audit.erase_customer"


class ErasureInputSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="Must be true: erasure cannot be undone.")

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Send true to confirm the erasure.")
        return value


class SelfErasureInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, help_text="The customer's password, to confirm."
    )

    def validate_password(self, value: str) -> str:
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("The password is not right.")
        return value


class PrivacyRequestOutputSerializer(serializers.ModelSerializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    flagged_versions = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = PrivacyRequest
        fields = ["id", "kind", "customer_id", "via", "counts", "flagged_versions", "at"]


def _export(customer_id: int, *, user, via: str) -> Response:
    try:
        data = selectors.customer_export(customer_id=customer_id)
    except Customer.DoesNotExist as exc:
        raise CustomerNotFound(f"Customer {customer_id} does not exist.") from exc
    services.privacy_export_record(customer_id=customer_id, user=user, via=via)
    return Response(data)


class CustomerExportView(APIView):
    permission_classes = [CanExportCustomerData]

    @extend_schema(
        tags=["privacy"],
        summary="Export a customer's data",
        auth=STAFF_AUTH,
        description="Everything the store holds about the customer, as JSON: profile, "
        "consents, login account, orders with items, reviews, events, support conversations, "
        "ad and recommendation-list events, scores, privacy requests. Needs the "
        "audit.export_customer_data permission; every export is recorded.",
        responses={
            200: OpenApiTypes.OBJECT,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, customer_id: int):
        return _export(customer_id, user=request.user, via=PrivacyRequest.Via.API)


class CustomerEraseView(APIView):
    permission_classes = [CanEraseCustomer]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["privacy"],
        summary="Erase a customer's personal data",
        auth=STAFF_AUTH,
        description="Removes the customer's personal data in one transaction (see "
        "docs/privacy.md) and returns the erasure record. Needs the audit.erase_customer "
        'permission and `{"confirm": true}`.',
        request=ErasureInputSerializer,
        responses={
            200: PrivacyRequestOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, customer_id: int):
        ErasureInputSerializer(data=request.data).is_valid(raise_exception=True)
        record = services.customer_erase(
            customer_id=customer_id, user=request.user, via=PrivacyRequest.Via.API
        )
        return Response(PrivacyRequestOutputSerializer(record).data)


class MyExportView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        tags=["privacy"],
        summary="Export my data",
        auth=CUSTOMER_AUTH,
        description="Everything the store holds about the calling customer, as JSON (the "
        "same document staff export).",
        responses={200: OpenApiTypes.OBJECT, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        customer = customer_for_user(user=request.user)
        return _export(customer.pk, user=request.user, via=PrivacyRequest.Via.SELF)


class MyErasureView(APIView):
    permission_classes = [IsCustomer]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["privacy"],
        summary="Erase my personal data",
        auth=CUSTOMER_AUTH,
        description="Erases the calling customer (see docs/privacy.md), confirmed with their "
        "password. The account and its token are deleted; orders stay for accounting.",
        request=SelfErasureInputSerializer,
        responses={
            200: PrivacyRequestOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        serializer = SelfErasureInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        customer = customer_for_user(user=request.user)
        record = services.customer_erase(
            customer_id=customer.pk, user=None, via=PrivacyRequest.Via.SELF
        )
        return Response(PrivacyRequestOutputSerializer(record).data)
