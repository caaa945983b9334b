"""ASGI entry point: HTTP through Django, websockets through Channels.

In front of both: the trusted client address (coderportal.proxy_headers), then routing by
`Host` — a subdomain app's host goes to the app proxy's routes only (workspaces.appproxy.hosts).
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")
django_asgi = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from coderportal import logredact  # noqa: E402
from coderportal.metrics.middleware import WebsocketMetrics  # noqa: E402
from coderportal.proxy_headers import TrustedProxyMiddleware  # noqa: E402
from coderportal.routing import websocket_urlpatterns  # noqa: E402
from coderportal.ws_auth import websocket_auth_stack  # noqa: E402
from workspaces.appproxy.hosts import SubdomainAppRouter  # noqa: E402
from workspaces.appproxy.routing import app_host_websocket_urlpatterns  # noqa: E402

portal = ProtocolTypeRouter({
    "http": django_asgi,
    # Operations: websocket metrics wrap the whole stack (a separate layer; keep it outermost).
    "websocket": WebsocketMetrics(websocket_auth_stack(URLRouter(websocket_urlpatterns)), websocket_urlpatterns),
})
app_hosts = ProtocolTypeRouter({
    "http": django_asgi,  # served by workspaces.appproxy.middleware before any portal middleware
    "websocket": websocket_auth_stack(URLRouter(app_host_websocket_urlpatterns)),
})
application = TrustedProxyMiddleware(SubdomainAppRouter(portal, app_hosts))

logredact.install()  # the web server's own loggers (uvicorn's access and websocket lines)
