"""The subject of one HTTP request or websocket connection, built from the credentials it
carried — a Coder token (with its scope) wins over the browser session, as in the API.

Every view and websocket consumer gets its subject here, so a token scoped to
`application_connect` is that scope everywhere (API, terminal page, PTY, SSH, TCP, logs,
app proxy), never the full power of its user.
"""
from __future__ import annotations

from .subject import ANONYMOUS, Subject, subject_for

_CACHE_KEY = "_rbac_subject"


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _from_http(request) -> Subject:
    from rest_framework import exceptions

    from coderportal.api.authentication import resolve_token, token_from_request

    auth = getattr(request, "auth", None)  # a DRF request that authenticated already
    if auth is not None and hasattr(auth, "scope"):
        return subject_for(request.user, auth) if _active(request.user) else ANONYMOUS
    raw = token_from_request(request)
    if raw:
        try:
            key = resolve_token(raw)
        except exceptions.AuthenticationFailed:
            return ANONYMOUS  # a bad token never falls back to the session
        return subject_for(key.user, key)
    user = getattr(request, "user", None)
    return subject_for(user) if _active(user) else ANONYMOUS


def _from_websocket(scope: dict) -> Subject:
    if "token_user" in scope:  # set by coderportal.ws_auth when a token was presented
        user, key = scope["token_user"], scope.get("api_key")
        return subject_for(user, key) if _active(user) and key is not None else ANONYMOUS
    user = scope.get("user")
    return subject_for(user) if _active(user) else ANONYMOUS


def request_subject(conn) -> Subject:
    """The subject of `conn`: a Django/DRF request, or a Channels websocket scope (a dict).

    Memoised on the request (or scope) for the life of the connection. Synchronous: call it
    through `database_sync_to_async` from async code.
    """
    if isinstance(conn, dict):
        if _CACHE_KEY not in conn:
            conn[_CACHE_KEY] = _from_websocket(conn)
        return conn[_CACHE_KEY]
    cached = getattr(conn, _CACHE_KEY, None)
    if cached is None:
        cached = _from_http(conn)
        setattr(conn, _CACHE_KEY, cached)
    return cached

