"""Management commands of insights."""
