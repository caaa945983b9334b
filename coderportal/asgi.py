"""ASGI entry point: HTTP through Django, websockets through Channels."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")
django_asgi = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from coderportal.metrics.middleware import WebsocketMetrics  # noqa: E402
from coderportal.routing import websocket_urlpatterns  # noqa: E402
from coderportal.ws_auth import websocket_auth_stack  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi,
    # Operations: websocket metrics wrap the whole stack (a separate layer; keep it outermost).
    "websocket": WebsocketMetrics(websocket_auth_stack(URLRouter(websocket_urlpatterns)), websocket_urlpatterns),
})
