"""The shared async HTTP client to the providers, and the headers sent to them."""
from __future__ import annotations

import asyncio
import weakref

import httpx

from aibridge.conf import ProviderConfig

# One client per event loop (a web process has one; tests may run several in turn).
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Never forwarded: hop-by-hop headers, what httpx sets itself, and every client credential.
_DROPPED = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
    "upgrade", "host", "accept-encoding", "content-length", "authorization", "x-api-key", "cookie",
    "coder-session-token",
}
# Response headers that describe the upstream connection, not the body we relay.
RESPONSE_DROPPED = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length",
                    "set-cookie"}


def client() -> httpx.AsyncClient:
    """One pooled client per process (and event loop); no read timeout: models think slowly."""
    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None or found.is_closed:
        found = _clients[loop] = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=10, read=None, write=60, pool=30),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100), follow_redirects=False)
    return found


def headers_for(provider: ProviderConfig, client_headers) -> dict[str, str]:
    out = {k: v for k, v in client_headers.items() if k.lower() not in _DROPPED}
    if provider.name == "anthropic":
        out["X-Api-Key"] = provider.key
    else:
        out["Authorization"] = f"Bearer {provider.key}"
    return out


def url(provider: ProviderConfig, path: str, query: str = "") -> str:
    return f"{provider.base_url}/{path}" + (f"?{query}" if query else "")
