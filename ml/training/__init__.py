"""The Django-free ML engine: loading, fine-tuning, batch inference, metrics."""
