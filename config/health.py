"""Liveness: the process answers HTTP. For load balancers and as the trivial DRF endpoint that
benchmarks/recs_serving.py measures the recommendation endpoints against."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["health"],
        summary="Liveness",
        auth=[],
        responses={200: inline_serializer("Health", {"status": serializers.CharField()})},
    )
    def get(self, request):
        return Response({"status": "ok"})
