"""Domain errors of insights that the API maps to HTTP statuses (config.api.exception_handler)."""

from config.api import ConflictError, NotFoundError


class CustomerNotFound(NotFoundError):
    code = "customer_not_found"


class CustomerNotScored(NotFoundError):
    code = "customer_not_scored"


class ForecastNotFound(NotFoundError):
    code = "forecast_not_found"


class CampaignNotFound(NotFoundError):
    code = "campaign_not_found"


class CampaignLiftUnavailable(ConflictError):
    """The campaign is not finished, or has no comparable products to measure it against."""

    code = "campaign_lift_unavailable"


class ClusterNotFound(NotFoundError):
    code = "cluster_not_found"


class ClusterNotCurrent(NotFoundError):
    """Customers' clusters are kept for the latest run only."""

    code = "cluster_not_current"


class NotEnoughData(ValueError):
    """Too few customers (or searches) to cluster; bad input, never retried."""


class PriceSuggestionNotFound(NotFoundError):
    code = "price_suggestion_not_found"


class PriceSuggestionNotOpen(ConflictError):
    """The proposal was already approved or rejected (or replaced by a newer recompute)."""

    code = "price_suggestion_not_open"
