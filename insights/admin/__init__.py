"""Admin of insights, one module per feature."""

from insights.admin import aspects, customers, forecasts, pricing, propensity, sentiment  # noqa: F401
