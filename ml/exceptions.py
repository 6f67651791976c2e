"""Domain errors of the ML platform."""

from config.api import ConflictError, DomainError, NotFoundError


class UnknownJobKind(DomainError):
    code = "unknown_job_kind"


class JobNotCancellable(ConflictError):
    code = "job_not_cancellable"


class JobNotFound(NotFoundError):
    code = "job_not_found"


class JobCancelled(Exception):
    """Raised inside a running task when staff asked to cancel its job."""


class TransientJobError(Exception):
    """A failure worth retrying (a lost connection, a busy resource); never bad input."""


class BadJobInput(Exception):
    """The job's parameters or data are unusable; retrying would fail the same way."""


class ArtifactIntegrityError(DomainError):
    """A model artifact is missing, altered, or holds a file type we never load."""

    code = "artifact_integrity"


class ModelVersionNotFound(NotFoundError):
    code = "model_version_not_found"


class AliasNotSet(NotFoundError):
    code = "alias_not_set"


class RollbackUnavailable(ConflictError):
    code = "rollback_unavailable"
