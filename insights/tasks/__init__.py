"""Job kinds of insights, one module per feature."""

from insights.tasks import aspects, customers, forecasts, propensity, sentiment  # noqa: F401
