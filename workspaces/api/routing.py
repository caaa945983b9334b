"""Websocket routes of the workspaces API (build log following, as Coder clients do it)."""
from django.urls import path

from workspaces.api import builds, lifecycle

websocket_urlpatterns = [
    path("api/v2/workspacebuilds/<uuid:build_id>/logs", builds.BuildLogsConsumer.as_asgi()),
    path("api/v2/workspaces/<uuid:workspace_id>/watch-ws", lifecycle.WatchConsumer.as_asgi()),
]
