"""Admin of insights, one module per feature."""

from insights.admin import (  # noqa: F401
    aspects,
    clusters,
    customers,
    forecasts,
    pricing,
    propensity,
    sentiment,
)
