"""Domain errors of insights that the API maps to HTTP statuses (config.api.exception_handler)."""

from config.api import NotFoundError


class CustomerNotFound(NotFoundError):
    code = "customer_not_found"


class CustomerNotScored(NotFoundError):
    code = "customer_not_scored"
