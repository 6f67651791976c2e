"""Reads of insights, one module per feature."""

from insights.selectors import aspects, sentiment  # noqa: F401
