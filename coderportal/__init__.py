"""coderportal project plumbing: settings, URLs, ASGI, Celery app, admin site, shared API bits."""
from .celery import app as celery_app

__all__ = ["celery_app"]
