"""Job kinds of insights, one module per feature."""

from insights.tasks import aspects, customers, forecasts, pricing, propensity, sentiment  # noqa: F401
