"""`/healthz` answered at the ASGI level, before Django's middleware.

Load balancers and `serve` poll it often; it says only that the web process accepts and
answers requests, so it needs no request object, session, database or thread hand-off. The
Django view of the same path (`coderportal.api.deployment.healthz`) stays for the test client.
"""
from __future__ import annotations

PATH = "/healthz"
_HEADERS = [(b"content-type", b"text/plain"), (b"content-length", b"2"),
            (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]


def answer_before(app):
    """Wrap the ASGI `app`: GET/HEAD /healthz answered here, everything else passed through."""

    async def application(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] in ("GET", "HEAD"):
            await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else b"OK"})
            return
        await app(scope, receive, send)

    return application
