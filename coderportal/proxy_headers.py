"""The client address the deployment trusts (Coder's `CODER_PROXY_TRUSTED_ORIGINS` and
`CODER_PROXY_TRUSTED_HEADERS`), applied once at the ASGI level for HTTP and websockets.

A forwarded header counts only when the connection comes from a trusted origin (a reverse
proxy's address or CIDR), and only the headers named as trusted; the first of them present
with a valid IP address wins (for `X-Forwarded-For`, its first — leftmost — address, as
Coder takes it). A trusted proxy's `X-Forwarded-Proto` (`http`/`https`) also sets the
scheme, as uvicorn did for the proxies it trusted. From anyone else forwarded headers change
nothing: rate limits, audit rows and logs see the connection's own address. The ASGI
server's own proxy-header handling is turned off (`serve` runs uvicorn with
`--no-proxy-headers`), so this is the only place that decides.
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


def from_trusted_proxy(scope) -> bool:
    client = scope.get("client")
    networks = trusted_networks()
    if not client or not networks:
        return False
    try:
        peer = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(peer in network for network in networks)


def forwarded_scheme(scope) -> str | None:
    """`https`/`http` (`wss`/`ws` for websockets) from a trusted proxy's X-Forwarded-Proto."""
    if not from_trusted_proxy(scope):
        return None
    value = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"x-forwarded-proto"), "")
    proto = value.split(",", 1)[0].strip().lower()
    if proto not in ("http", "https"):
        return None
    return {"http": "ws", "https": "wss"}[proto] if scope["type"] == "websocket" else proto


def client_address(scope) -> str | None:
    """The trusted client address of an ASGI connection, or None to keep the peer's own."""
    if not from_trusted_proxy(scope):
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
            address, scheme = client_address(scope), forwarded_scheme(scope)
            if address is not None:
                scope = dict(scope, client=(address, 0))
            if scheme is not None:
                scope = dict(scope, scheme=scheme)
        return await self.inner(scope, receive, send)
