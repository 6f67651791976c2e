"""aspects: admin."""
