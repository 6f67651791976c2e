"""Reads of insights, one module per feature."""

from insights.selectors import aspects, customers, sentiment  # noqa: F401
