"""Websocket routes of the agent API and the terminal/SSH relay."""
from django.urls import path

from workspaces.agentapi import client_views
from workspaces.terminal import relay, streams

websocket_urlpatterns = [
    path("api/v2/workspaceagents/me/relay", relay.AgentRelayConsumer.as_asgi()),
    path("api/v2/workspaceagents/<uuid:agent_id>/logs", client_views.AgentLogsConsumer.as_asgi()),
    path("api/v2/workspaceagents/<uuid:agent_id>/pty", streams.PtyConsumer.as_asgi()),
    path("api/v2/workspaceagents/<uuid:agent_id>/tcp", streams.TcpConsumer.as_asgi()),
    path("api/v2/workspaceagents/<uuid:agent_id>/ssh", streams.SshConsumer.as_asgi()),
]
