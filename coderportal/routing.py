"""Websocket routes, collected from the apps (same paths as their HTTP twins)."""
from templates_app.api.routing import websocket_urlpatterns as template_ws

websocket_urlpatterns: list = [*template_ws]
