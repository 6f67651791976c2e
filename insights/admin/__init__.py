"""Admin of insights, one module per feature."""

from insights.admin import aspects, customers, sentiment  # noqa: F401
