"""sentiment: selectors."""
