"""aspects: tasks."""
