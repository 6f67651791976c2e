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
