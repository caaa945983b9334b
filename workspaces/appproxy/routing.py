"""Websocket routes of path-based workspace apps (the same paths as the HTTP proxy)."""
from django.urls import re_path

from workspaces.appproxy.ws_proxy import AppWebsocketProxy

websocket_urlpatterns = [
    re_path(r"^@(?P<username>[^/]+)/(?P<target>[^/]+)/apps/(?P<slug>[^/]+)/(?P<rest>.*)$",
            AppWebsocketProxy.as_asgi()),
]
