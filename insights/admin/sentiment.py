"""sentiment: admin."""
