"""Writes of insights, one module per feature."""

from insights.services import aspects, customers, sentiment  # noqa: F401
