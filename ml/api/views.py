"""Views of the staff ML API: list, inspect, submit and cancel jobs; list model versions,
see a task's aliases, promote and roll back."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ml import selectors, services
from ml.api.permissions import (
    CanCancelJobs,
    CanMoveAliases,
    CanSubmitJobs,
    CanViewJobs,
    CanViewModels,
    IsStaff,
)
from ml.api.serializers import (
    AliasMoveInputSerializer,
    AliasOutputSerializer,
    JobDetailOutputSerializer,
    JobKindOutputSerializer,
    JobListQuerySerializer,
    JobOutputSerializer,
    JobSubmitInputSerializer,
    ModelVersionListQuerySerializer,
    ModelVersionOutputSerializer,
    TaskAliasesOutputSerializer,
)
from ml.job_kinds import job_kind_list
from ml.models import ModelAlias

BAD_REQUEST = OpenApiResponse(description="Invalid input; the body lists the errors per field.")
UNAUTHENTICATED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(
    description="Not staff, or lacking the permission (ml.view_job, "
    "ml.add_job, ml.change_job or ml.view_modelversion)."
)
NOT_FOUND = OpenApiResponse(description="No such job.")
STAFF_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}]


class JobListView(GenericAPIView):
    permission_classes = [IsStaff, CanViewJobs]
    parser_classes = [JSONParser]  # params are a nested object
    serializer_class = JobOutputSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsStaff(), CanSubmitJobs()]
        return super().get_permissions()

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
    permission_classes = [IsStaff, CanViewJobs]
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
    permission_classes = [IsStaff, CanCancelJobs]
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
    permission_classes = [IsStaff, CanViewJobs]

    @extend_schema(
        tags=["jobs"],
        summary="List job kinds",
        auth=STAFF_AUTH,
        description="The kinds that can be submitted, with the queue each runs on.",
        responses={200: JobKindOutputSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        return Response(JobKindOutputSerializer(job_kind_list(), many=True).data)


# --- Model registry ------------------------------------------------------------------------

NOT_FOUND_VERSION = OpenApiResponse(description="No such model version.")
FORBIDDEN_MOVE = OpenApiResponse(
    description="Not staff, or lacking the ml.change_modelalias permission."
)
TASK_PARAMETER = OpenApiParameter(
    "task", OpenApiTypes.STR, OpenApiParameter.PATH, description="The task, e.g. `sentiment`."
)


class ModelVersionListView(GenericAPIView):
    permission_classes = [IsStaff, CanViewModels]
    serializer_class = ModelVersionOutputSerializer

    @extend_schema(
        tags=["models"],
        summary="List model versions",
        auth=STAFF_AUTH,
        description="Every registered version with its metrics and current aliases, by task "
        "and newest version first.",
        parameters=[ModelVersionListQuerySerializer],
        responses={
            200: ModelVersionOutputSerializer(many=True),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        query = ModelVersionListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        versions = selectors.modelversion_list(**query.validated_data)
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(ModelVersionOutputSerializer(page, many=True).data)


class ModelVersionDetailView(GenericAPIView):
    permission_classes = [IsStaff, CanViewModels]
    serializer_class = ModelVersionOutputSerializer

    def get_queryset(self):
        return selectors.modelversion_list()

    @extend_schema(
        tags=["models"],
        summary="Get a model version",
        auth=STAFF_AUTH,
        responses={
            200: ModelVersionOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND_VERSION,
        },
    )
    def get(self, request, pk: int):
        return Response(ModelVersionOutputSerializer(self.get_object()).data)


class ModelVersionPromoteView(APIView):
    permission_classes = [IsStaff, CanMoveAliases]

    @extend_schema(
        tags=["models"],
        summary="Promote a model version",
        auth=STAFF_AUTH,
        description="Points the alias (champion or challenger) of the version's task at this "
        "version; the one it pointed at before is kept for a roll back. The artifact is "
        "verified first: a missing or altered one is refused (400, code `artifact_integrity`) "
        "and nothing changes. Promoting the version the alias already points at is a no-op.",
        request=AliasMoveInputSerializer,
        responses={
            200: AliasOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_MOVE,
            404: NOT_FOUND_VERSION,
        },
    )
    def post(self, request, pk: int):
        serializer = AliasMoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alias = services.alias_promote(
            version_id=pk, alias=serializer.validated_data["alias"], user=request.user
        )
        return Response(AliasOutputSerializer(alias).data)


class TaskAliasesView(APIView):
    permission_classes = [IsStaff, CanViewModels]

    @extend_schema(
        tags=["models"],
        summary="Get a task's champion and challenger",
        auth=STAFF_AUTH,
        description="The versions the task's aliases point at now; null where an alias is "
        "not set. A task without any version is a 404.",
        parameters=[TASK_PARAMETER],
        responses={
            200: TaskAliasesOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No model version of this task exists."),
        },
    )
    def get(self, request, task: str):
        aliases = {alias.name: alias for alias in selectors.alias_list(task=task)}
        if not aliases and not selectors.modelversion_list(task=task).exists():
            raise NotFound(f"No model versions for task {task!r}.")
        names = ModelAlias.Name
        return Response(
            TaskAliasesOutputSerializer(
                {
                    "task": task,
                    "champion": aliases.get(names.CHAMPION),
                    "challenger": aliases.get(names.CHALLENGER),
                }
            ).data
        )


class TaskRollbackView(APIView):
    permission_classes = [IsStaff, CanMoveAliases]

    @extend_schema(
        tags=["models"],
        summary="Roll back a task's alias",
        auth=STAFF_AUTH,
        description="Points the alias back at the version it pointed at before its last move. "
        "An alias that is not set is a 404 (`alias_not_set`); one with no earlier version is "
        "a 409 (`rollback_unavailable`).",
        parameters=[TASK_PARAMETER],
        request=AliasMoveInputSerializer,
        responses={
            200: AliasOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN_MOVE,
            404: OpenApiResponse(description="The alias is not set for this task."),
            409: OpenApiResponse(description="The alias has no earlier version to return to."),
        },
    )
    def post(self, request, task: str):
        serializer = AliasMoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alias = services.alias_rollback(
            task=task, alias=serializer.validated_data["alias"], user=request.user
        )
        return Response(AliasOutputSerializer(alias).data)
