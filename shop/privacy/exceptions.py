"""Domain errors of customer exports and erasures."""

from config.api import ConflictError, NotFoundError


class CustomerNotFound(NotFoundError):
    code = "customer_not_found"


class CustomerAlreadyErased(ConflictError):
    code = "customer_already_erased"
