"""sentiment: tasks."""
