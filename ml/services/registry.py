"""Writes of the model registry: register immutable versions, move aliases.

Artifacts live in the `ml_artifacts` Django storage (a local folder by default, object storage
in production) under `<task>/v<N>-<token>/`; a version row exists only once all of its files
are stored, so a failed registration leaves nothing behind.
"""

import logging
import secrets
import shutil
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import Max

from ml.exceptions import (
    AliasNotSet,
    ArtifactIntegrityError,
    ModelVersionNotFound,
    RollbackUnavailable,
)
from ml.models import AliasChange, ModelAlias, ModelVersion
from ml.training.checksums import sha256_of_directory

logger = logging.getLogger(__name__)

# File types that can carry pickled code. They are never stored nor loaded.
FORBIDDEN_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz"}


def artifact_storage():
    return storages["ml_artifacts"]


def artifact_refuse_unsafe_files(directory: Path) -> None:
    """Raise ArtifactIntegrityError if the directory holds a file type that may be a pickle."""
    unsafe = sorted(
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.suffix.lower() in FORBIDDEN_SUFFIXES
    )
    if unsafe:
        raise ArtifactIntegrityError(
            f"Refusing pickle-capable files (only safetensors and JSON are loaded): {unsafe}"
        )


def modelversion_register(
    *,
    task: str,
    source_dir: Path,
    base_model: str,
    training_job_id: int | None = None,
    data_summary: dict[str, Any] | None = None,
    hyperparameters: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> ModelVersion:
    """Copy a `save_pretrained` directory into the artifact store and record a new version.

    Side effects: writes every file of `source_dir` to the artifact storage, then inserts one
    ModelVersion row with the next version number of `task`. If anything fails, the stored
    files are deleted and no row exists.
    """
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise ArtifactIntegrityError(f"Artifact directory {source_dir} does not exist.")
    artifact_refuse_unsafe_files(source_dir)
    sha256 = sha256_of_directory(source_dir)
    for _attempt in range(5):
        number = (ModelVersion.objects.filter(task=task).aggregate(n=Max("version"))["n"] or 0) + 1
        prefix = f"{task}/v{number}-{secrets.token_hex(4)}"
        _upload_directory(source_dir, prefix)
        try:
            with transaction.atomic():
                return ModelVersion.objects.create(
                    task=task,
                    version=number,
                    base_model=base_model,
                    artifact_path=prefix,
                    sha256=sha256,
                    training_job_id=training_job_id,
                    data_summary=data_summary or {},
                    hyperparameters=hyperparameters or {},
                    metrics=metrics or {},
                )
        except IntegrityError:
            # Another registration took this number first; try the next one.
            _delete_prefix(prefix)
        except BaseException:
            _delete_prefix(prefix)
            raise
    raise RuntimeError(f"Could not allocate a version number for task {task!r}")


@transaction.atomic
def alias_promote(
    *, version_id: int, alias: str = ModelAlias.Name.CHAMPION, user=None
) -> ModelAlias:
    """Point `alias` of the version's task at this version, remembering the previous one.

    The artifact is verified first, so a damaged version is never promoted.
    Side effects: locks and updates (or creates) the ModelAlias row; writes an AliasChange.
    """
    from ml.selectors import artifact_local_dir

    try:
        version = ModelVersion.objects.get(pk=version_id)
    except ModelVersion.DoesNotExist as exc:
        raise ModelVersionNotFound(f"Model version {version_id} does not exist.") from exc
    artifact_local_dir(version=version)  # verifies the sha256
    current = ModelAlias.objects.select_for_update().filter(task=version.task, name=alias).first()
    actor = user if getattr(user, "pk", None) else None
    if current is None:
        current = ModelAlias.objects.create(
            task=version.task, name=alias, version=version, updated_by=actor
        )
        from_version = None
    elif current.version_id == version.pk:
        return current
    else:
        from_version = current.version
        current.previous_version = current.version
        current.version = version
        current.updated_by = actor
        current.save()
    AliasChange.objects.create(
        task=version.task,
        alias=alias,
        action=AliasChange.Action.PROMOTE,
        from_version=from_version,
        to_version=version,
        changed_by=actor,
    )
    return current


@transaction.atomic
def alias_rollback(*, task: str, alias: str = ModelAlias.Name.CHAMPION, user=None) -> ModelAlias:
    """Point `alias` back at the version it pointed to before the last move.

    The earlier version's artifact is verified first; a damaged one is refused.

    Side effects: locks and updates the ModelAlias row; writes an AliasChange.
    """
    current = ModelAlias.objects.select_for_update().filter(task=task, name=alias).first()
    if current is None:
        raise AliasNotSet(f"No {alias} is set for task {task!r}.")
    if current.previous_version_id is None:
        raise RollbackUnavailable(f"The {alias} of {task!r} has no earlier version to return to.")
    from ml.selectors import artifact_local_dir

    artifact_local_dir(version=current.previous_version)  # never roll back onto a bad artifact
    actor = user if getattr(user, "pk", None) else None
    from_version = current.version
    current.version, current.previous_version = current.previous_version, current.version
    current.updated_by = actor
    current.save()
    AliasChange.objects.create(
        task=task,
        alias=alias,
        action=AliasChange.Action.ROLLBACK,
        from_version=from_version,
        to_version=current.version,
        changed_by=actor,
    )
    return current


def _upload_directory(source_dir: Path, prefix: str) -> None:
    storage = artifact_storage()
    try:
        for path in sorted(source_dir.rglob("*")):
            if path.is_file():
                name = f"{prefix}/{path.relative_to(source_dir).as_posix()}"
                with path.open("rb") as handle:
                    saved = storage.save(name, File(handle))
                if saved != name:
                    raise ArtifactIntegrityError(f"Artifact file {name} already existed.")
    except BaseException:
        _delete_prefix(prefix)
        raise


def _delete_prefix(prefix: str) -> None:
    storage = artifact_storage()
    try:
        local = Path(storage.path(prefix))
    except NotImplementedError:
        local = None
    if local is not None:
        shutil.rmtree(local, ignore_errors=True)
        return
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{prefix}/{name}")
    for directory in directories:
        _delete_prefix(f"{prefix}/{directory}")
