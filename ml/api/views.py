"""Views of the jobs API: staff list, inspect, submit and cancel jobs."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ml import selectors, services
from ml.api.permissions import IsStaff
from ml.api.serializers import (
    JobDetailOutputSerializer,
    JobKindOutputSerializer,
    JobListQuerySerializer,
    JobOutputSerializer,
    JobSubmitInputSerializer,
)
from ml.job_kinds import job_kind_list

BAD_REQUEST = OpenApiResponse(description="Invalid input; the body lists the errors per field.")
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(description="Only staff may use the jobs API.")
NOT_FOUND = OpenApiResponse(description="No such job.")
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]


class JobListView(GenericAPIView):
    permission_classes = [IsStaff]
    parser_classes = [JSONParser]  # params are a nested object
    serializer_class = JobOutputSerializer

    @extend_schema(
        tags=["jobs"],
        summary="List jobs",
        auth=STAFF_AUTH,
        description="Newest first; filter by status and kind.",
        parameters=[JobListQuerySerializer],
        responses={
            200: JobOutputSerializer(many=True),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        query = JobListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        jobs = selectors.job_list(**query.validated_data)
        page = self.paginate_queryset(jobs)
        return self.get_paginated_response(JobOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["jobs"],
        summary="Submit a job",
        auth=STAFF_AUTH,
        description="Queues a job of the given kind; a worker runs it. Unknown kinds and bad "
        "parameters are a 400 (parameter errors are nested under `params`).",
        request=JobSubmitInputSerializer,
        responses={
            201: JobDetailOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        serializer = JobSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            job = services.job_submit(**serializer.validated_data, created_by=request.user)
        except ValidationError as exc:
            # The kind's own serializer reports its fields at the top level.
            raise ValidationError({"params": exc.detail}) from exc
        return Response(JobDetailOutputSerializer(job).data, status=status.HTTP_201_CREATED)


class JobDetailView(GenericAPIView):
    permission_classes = [IsStaff]
    serializer_class = JobDetailOutputSerializer

    def get_queryset(self):
        return selectors.job_list()

    @extend_schema(
        tags=["jobs"],
        summary="Get a job",
        auth=STAFF_AUTH,
        responses={
            200: JobDetailOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return Response(JobDetailOutputSerializer(self.get_object()).data)


class JobCancelView(GenericAPIView):
    permission_classes = [IsStaff]
    serializer_class = JobDetailOutputSerializer

    def get_queryset(self):
        return selectors.job_list()

    @extend_schema(
        tags=["jobs"],
        summary="Cancel a job",
        auth=STAFF_AUTH,
        description="A queued job is cancelled at once; a running one stops at its next "
        "progress report. A finished job cannot be cancelled (409).",
        request=None,
        responses={
            200: JobDetailOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(description="The job has already finished."),
        },
    )
    def post(self, request, pk: int):
        services.job_cancel(job_id=pk)
        return Response(JobDetailOutputSerializer(selectors.job_get(job_id=pk)).data)


class JobKindListView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["jobs"],
        summary="List job kinds",
        auth=STAFF_AUTH,
        description="The kinds that can be submitted, with the queue each runs on.",
        responses={200: JobKindOutputSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        return Response(JobKindOutputSerializer(job_kind_list(), many=True).data)
