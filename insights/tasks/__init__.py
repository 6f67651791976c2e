"""Job kinds of insights, one module per feature."""

from insights.tasks import (  # noqa: F401
    aspects,
    campaign_effect,
    clusters,
    customers,
    forecasts,
    pricing,
    propensity,
    search_insights,
    sentiment,
)
