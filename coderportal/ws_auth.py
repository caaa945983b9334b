"""Websocket authentication: the same credentials as the HTTP API (Coder session token in a
header, bearer token, token cookie) or the browser's Django session — after an `Origin`
check, so that no other site can open a websocket with the browser's cookies."""
from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from rest_framework import exceptions

from coderportal import config
from coderportal.api.authentication import SESSION_TOKEN_COOKIE, resolve_token


def _token_from_scope(scope) -> str | None:
    headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
    if headers.get("coder-session-token"):
        return headers["coder-session-token"].strip()
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    query = parse_qs(scope.get("query_string", b"").decode())
    if query.get(SESSION_TOKEN_COOKIE):
        return query[SESSION_TOKEN_COOKIE][0]
    if "cookie" in headers:
        cookie = SimpleCookie()
        cookie.load(headers["cookie"])
        if SESSION_TOKEN_COOKIE in cookie:
            return cookie[SESSION_TOKEN_COOKIE].value
    return None


@database_sync_to_async
def _user_for_token(raw: str):
    try:
        key = resolve_token(raw)
    except exceptions.AuthenticationFailed:
        return None, None
    return key.user, key


class TokenAuthMiddleware:
    """Token credentials win; without one, the session middleware's user stands."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        raw = _token_from_scope(scope)
        if raw:
            user, key = await _user_for_token(raw)
            scope = dict(scope, token_user=user, api_key=key)
        return await self.inner(scope, receive, send)


def _origin_key(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port


def origin_allowed(scope) -> bool:
    """A browser always sends `Origin` with a websocket; it must be the portal's access URL,
    or, for a subdomain app's own websockets, that app's origin. Clients that are not
    browsers (CLI, agents) send none and rely on their token alone. Without a configured
    `CODER_ACCESS_URL` (the embedded default, reached as 127.0.0.1 or localhost alike) the
    page's own host also counts (Coder's same-host rule: another site's page cannot make the
    browser send the portal's host with its origin)."""
    origins = [v for k, v in scope.get("headers", []) if k.lower() == b"origin"]
    if not origins:
        return True
    origin = _origin_key(origins[0].decode("latin-1"))
    if origin is None:
        return False  # "null" (sandboxed pages, file:), or garbage
    host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"host"), "")
    same_host = bool(host) and origin == _origin_key(f"{origin[0]}://{host}")
    if scope.get("coder_app") is not None:  # set by the host router for the app domain
        return same_host
    return origin == _origin_key(settings.ACCESS_URL) or (same_host and not config.get("CODER_ACCESS_URL"))


class OriginCheckMiddleware:
    """Refuses a cross-origin websocket handshake before any consumer (PTY, relay, logs) runs."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner(scope, receive, send)


def websocket_auth_stack(inner):
    return OriginCheckMiddleware(AuthMiddlewareStack(TokenAuthMiddleware(inner)))


def scope_user(scope):
    """The authenticated, active user of a websocket scope, or None."""
    if "token_user" in scope:
        user = scope["token_user"]
    else:
        user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user
