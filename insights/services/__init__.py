"""Writes of insights, one module per feature."""

from insights.services import aspects, customers, forecasts, sentiment  # noqa: F401
