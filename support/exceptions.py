"""Domain errors of support (mapped to HTTP statuses by config.api.exception_handler)."""

from config.api import ConflictError, DomainError, NotFoundError


class SupportError(DomainError):
    """Base of support's domain errors; `message` is shown to the user."""


class NotAShopperMessage(SupportError):
    """Only shopper messages have an intent to correct."""

    code = "not_a_shopper_message"


class NotAnAnswer(SupportError):
    """Only assistant and agent messages can be rated."""

    code = "not_an_answer"


class HandoffNotFound(NotFoundError):
    code = "handoff_not_found"


class HandoffResolved(ConflictError):
    """The handoff is already resolved."""

    code = "handoff_resolved"


class HandoffTakenByOther(ConflictError):
    """Another agent has taken this conversation."""

    code = "handoff_taken_by_other"
