"""Websocket routes of the templates API (log following, as Coder clients do it)."""
from django.urls import path

from templates_app.api import versions

websocket_urlpatterns = [
    path("api/v2/templateversions/<uuid:version_id>/logs", versions.TemplateVersionLogsConsumer.as_asgi()),
]
