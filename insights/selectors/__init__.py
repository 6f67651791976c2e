"""Reads of insights, one module per feature."""

from insights.selectors import aspects, customers, forecasts, sentiment  # noqa: F401
