"""sentiment: services."""
