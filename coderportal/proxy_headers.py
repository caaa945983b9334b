"""The client address the deployment trusts (Coder's `CODER_PROXY_TRUSTED_ORIGINS` and
`CODER_PROXY_TRUSTED_HEADERS`), applied once at the ASGI level for HTTP and websockets.

A forwarded header counts only when the connection comes from a trusted origin (a reverse
proxy's address or CIDR), and only the headers named as trusted; the first of them present
with a valid IP address wins (for `X-Forwarded-For`, its first — leftmost — address, as
Coder takes it). From anyone else forwarded headers change nothing: rate limits, audit rows
and logs see the connection's own address. The ASGI server's own proxy-header handling is
turned off (`serve` runs uvicorn with `--no-proxy-headers`), so this is the only place that
decides.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from coderportal import config


@lru_cache(maxsize=8)
def _networks(raw: str) -> tuple:
    networks = []
    for part in raw.split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))  # invalid: fail loudly at start
    return tuple(networks)


def trusted_networks() -> tuple:
    return _networks(config.get("CODER_PROXY_TRUSTED_ORIGINS"))


def trusted_headers() -> list[bytes]:
    return [h.lower().encode("latin-1") for h in config.get_list("CODER_PROXY_TRUSTED_HEADERS")]


def _ip(text: str) -> str | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_address(scope) -> str | None:
    """The trusted client address of an ASGI connection, or None to keep the peer's own."""
    client = scope.get("client")
    networks = trusted_networks()
    if not client or not networks:
        return None
    try:
        peer = ipaddress.ip_address(client[0])
    except ValueError:
        return None
    if not any(peer in network for network in networks):
        return None
    headers = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.lower(), value.decode("latin-1"))
    for name in trusted_headers():
        value = headers.get(name)
        if not value:
            continue
        if name == b"x-forwarded-for":
            value = value.split(",", 1)[0]
        address = _ip(value)
        if address is not None:
            return address
    return None


class TrustedProxyMiddleware:
    """Rewrites `scope["client"]` from trusted forwarded headers; leaves it alone otherwise."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            address = client_address(scope)
            if address is not None:
                scope = dict(scope, client=(address, 0))
        return await self.inner(scope, receive, send)
