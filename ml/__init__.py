"""The ML platform: jobs run by Celery workers, the model registry, model loading, and the fine-
tuning and batch-inference engines (pure code in ml/training/).
"""
