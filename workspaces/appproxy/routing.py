"""Websocket routes of path-based workspace apps (the same paths as the HTTP proxy)."""
from django.urls import re_path

from workspaces.appproxy.ws_proxy import AppWebsocketProxy

# On a subdomain app's host every path is the app's (see hosts.py).
app_host_websocket_urlpatterns = [re_path(r"^(?P<rest>.*)$", AppWebsocketProxy.as_asgi())]

websocket_urlpatterns = [
    re_path(r"^@(?P<username>[^/]+)/(?P<target>[^/]+)/apps/(?P<slug>[^/]+)/(?P<rest>.*)$",
            AppWebsocketProxy.as_asgi()),
]
