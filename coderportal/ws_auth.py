"""Websocket authentication: the same credentials as the HTTP API (Coder session token in a
header, bearer token, token cookie) or the browser's Django session."""
from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from rest_framework import exceptions

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


def websocket_auth_stack(inner):
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


def scope_user(scope):
    """The authenticated, active user of a websocket scope, or None."""
    if "token_user" in scope:
        user = scope["token_user"]
    else:
        user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user
