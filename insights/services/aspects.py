"""aspects: services."""
