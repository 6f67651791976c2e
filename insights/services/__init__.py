"""Writes of insights, one module per feature."""

from insights.services import aspects, sentiment  # noqa: F401
