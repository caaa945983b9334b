"""Websocket routes of the agent API and the terminal/SSH relay."""
from django.urls import path

from workspaces.agentapi import client_views

websocket_urlpatterns = [
    path("api/v2/workspaceagents/<uuid:agent_id>/logs", client_views.AgentLogsConsumer.as_asgi()),
]
