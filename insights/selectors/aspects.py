"""aspects: selectors."""
