"""Admin of insights, one module per feature."""

from insights.admin import aspects, sentiment  # noqa: F401
