"""The Celery app. Workers run `celery -A config worker -Q default,gpu`."""

import os

from celery import Celery

from config import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

broker.register()  # the embedded broker's messages appear whole (config/broker.py)
app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
