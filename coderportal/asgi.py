"""ASGI entry point: HTTP through Django, websockets through Channels."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")
django.setup(set_prefix=False)

from coderportal.http_handler import PooledASGIHandler  # noqa: E402

# Django's ASGI handler, with synchronous views run on a bounded thread pool (http_handler.py).
django_asgi = PooledASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from coderportal import healthz  # noqa: E402
from coderportal.routing import websocket_urlpatterns  # noqa: E402
from coderportal.ws_auth import websocket_auth_stack  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi,
    "websocket": websocket_auth_stack(URLRouter(websocket_urlpatterns)),
})
# Outermost on purpose: health checks skip Django's middleware (coderportal/healthz.py).
application = healthz.answer_before(application)
