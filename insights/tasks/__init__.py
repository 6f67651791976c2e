"""Job kinds of insights, one module per feature."""

from insights.tasks import aspects, sentiment  # noqa: F401
