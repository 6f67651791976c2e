"""Reads of the ML platform."""

from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max, QuerySet

from ml.exceptions import ArtifactIntegrityError
from ml.models import AliasChange, Job, ModelAlias, ModelVersion
from ml.training.checksums import ArtifactMismatch, verify_sha256


def job_list(*, status: str | None = None, kind: str | None = None) -> QuerySet[Job]:
    jobs = Job.objects.select_related("created_by", "model_version")
    if status:
        jobs = jobs.filter(status=status)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs.order_by("-created_at")


def job_get(*, job_id: int) -> Job:
    return Job.objects.select_related("created_by", "model_version").get(pk=job_id)


def modelversion_list(*, task: str | None = None) -> QuerySet[ModelVersion]:
    versions = ModelVersion.objects.select_related("training_job").prefetch_related("aliases")
    if task:
        versions = versions.filter(task=task)
    return versions.order_by("task", "-version")


def modelversion_get(*, version_id: int) -> ModelVersion:
    """One version with its training job and aliases; raises ModelVersion.DoesNotExist."""
    return modelversion_list().get(pk=version_id)


def modelversion_task_stats() -> list[dict]:
    """Per task: `task`, `versions` (count), `latest` (highest number), `last_created`."""
    return list(
        ModelVersion.objects.values("task")
        .annotate(versions=Count("id"), latest=Max("version"), last_created=Max("created_at"))
        .order_by("task")
    )


def modelversion_tasks() -> list[str]:
    return list(ModelVersion.objects.order_by("task").values_list("task", flat=True).distinct())


def alias_get(*, task: str, alias: str = ModelAlias.Name.CHAMPION) -> ModelAlias | None:
    return (
        ModelAlias.objects.select_related("version", "previous_version")
        .filter(task=task, name=alias)
        .first()
    )


def alias_list(*, task: str | None = None) -> QuerySet[ModelAlias]:
    aliases = ModelAlias.objects.select_related(
        "version", "version__training_job", "previous_version", "updated_by"
    )
    if task:
        aliases = aliases.filter(task=task)
    return aliases.order_by("task", "name")


def aliaschange_list(*, task: str) -> QuerySet[AliasChange]:
    """The task's alias moves, newest first."""
    return (
        AliasChange.objects.select_related("from_version", "to_version", "changed_by")
        .filter(task=task)
        .order_by("-changed_at", "-pk")
    )


def alias_version_id(*, task: str, alias: str = ModelAlias.Name.CHAMPION) -> int | None:
    return (
        ModelAlias.objects.filter(task=task, name=alias)
        .values_list("version_id", flat=True)
        .first()
    )


def artifact_local_dir(*, version: ModelVersion) -> Path:
    """A local directory holding the version's files, verified against its sha256.

    With a local artifact store this is the stored folder itself; with object storage the
    files are downloaded once into ML_CACHE_DIR. Raises ArtifactIntegrityError when files
    are missing, altered, or of a pickle-capable type.
    """
    from ml.services.registry import artifact_refuse_unsafe_files, artifact_storage

    storage = artifact_storage()
    try:
        local = Path(storage.path(version.artifact_path))
    except NotImplementedError:
        local = Path(settings.ML_CACHE_DIR) / "artifacts" / version.artifact_path
        if not local.is_dir():
            _download_prefix(storage, version.artifact_path, local)
    if not local.is_dir():
        raise ArtifactIntegrityError(
            f"Artifact of {version} is missing from the artifact store ({version.artifact_path})."
        )
    artifact_refuse_unsafe_files(local)
    try:
        verify_sha256(local, version.sha256)
    except ArtifactMismatch as exc:
        raise ArtifactIntegrityError(f"Artifact of {version} failed verification: {exc}") from exc
    return local


def _download_prefix(storage, prefix: str, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    directories, files = storage.listdir(prefix)
    partial.mkdir(parents=True, exist_ok=True)
    for name in files:
        with storage.open(f"{prefix}/{name}", "rb") as source:
            (partial / name).write_bytes(source.read())
    for directory in directories:
        _download_prefix(storage, f"{prefix}/{directory}", partial / directory)
    partial.rename(target)


# --- staff home (insights.home) -------------------------------------------------------------


def job_list_unfinished() -> QuerySet[Job]:
    """Queued and running jobs, newest first (the `job_status_created` index)."""
    return job_list().filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])


def job_status_counts(*, since) -> dict[str, int]:
    """How many jobs were created since `since`, per status (every status present, zeros
    included). One query."""
    counts = dict.fromkeys(Job.Status.values, 0)
    rows = (
        Job.objects.filter(created_at__gte=since)
        .values("status")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["status"]] = row["count"]
    return counts


def modelversion_list_awaiting_promotion() -> QuerySet[ModelVersion]:
    """Versions newer than their task's champion, and every version of a task that has no
    champion yet: the candidates waiting for someone to compare and promote them.

    Annotated with `champion_version` (the champion's number, None without one); by task,
    newest first. One query.
    """
    from django.db.models import F, OuterRef, Q, Subquery

    champion_number = ModelAlias.objects.filter(
        task=OuterRef("task"), name=ModelAlias.Name.CHAMPION
    ).values("version__version")[:1]
    return (
        ModelVersion.objects.annotate(champion_version=Subquery(champion_number))
        .filter(Q(champion_version__isnull=True) | Q(version__gt=F("champion_version")))
        .order_by("task", "-version")
    )
