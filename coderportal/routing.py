"""Websocket routes, collected from the apps (same paths as their HTTP twins)."""
from notifications.api.routing import websocket_urlpatterns as notification_ws
from templates_app.api.routing import websocket_urlpatterns as template_ws
from workspaces.agentapi.routing import websocket_urlpatterns as agent_ws
from workspaces.api.routing import websocket_urlpatterns as workspace_ws
from workspaces.appproxy.routing import websocket_urlpatterns as app_ws

websocket_urlpatterns: list = [*notification_ws, *template_ws, *workspace_ws, *agent_ws, *app_ws]
