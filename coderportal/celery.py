"""The Celery application: provisioner workers and the scheduler run its tasks."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")

app = Celery("coderportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import coderportal.logs.tasks  # noqa: E402,F401  (connects the log-context signal handlers)
