"""Admin of insights, one module per feature."""

from insights.admin import aspects, clusters, customers, forecasts, sentiment  # noqa: F401
