"""The subject of one HTTP request or websocket connection, built from the credentials it
carried — a Coder token (with its scope) wins over the browser session, as in the API.

Every view and websocket consumer gets its subject here, so a token scoped to
`application_connect` is that scope everywhere (API, terminal page, PTY, SSH, TCP, logs,
app proxy), never the full power of its user.

On a subdomain app's host (the ASGI host router marks the scope with `coder_app_host`) the
portal's cookies and session count for nothing: only a token in a header or the app's own
cookie from the handshake (accounts.services.app_tokens), which is bound to that host.
"""
from __future__ import annotations

from .subject import ANONYMOUS, Subject, subject_for

_CACHE_KEY = "_rbac_subject"


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _subject_of_raw_token(raw: str | None) -> Subject:
    from rest_framework import exceptions

    from coderportal.api.authentication import resolve_token

    if not raw:
        return ANONYMOUS
    try:
        key = resolve_token(raw)
    except exceptions.AuthenticationFailed:
        return ANONYMOUS
    return subject_for(key.user, key)


def _app_cookie_token(cookie: str | None, host: str) -> str | None:
    from accounts.services.app_tokens import token_from_app_cookie

    return token_from_app_cookie(cookie, host=host) if cookie else None


def _from_app_host(request, host: str) -> Subject:
    from accounts.services.app_tokens import APP_COOKIE
    from coderportal.api.authentication import SESSION_TOKEN_HEADER

    # The app's cookie first (as Coder): an `Authorization` header is often the app's own.
    raw = _app_cookie_token(request.COOKIES.get(APP_COOKIE), host)
    meta = request.META
    raw = raw or meta.get(SESSION_TOKEN_HEADER, "").strip()
    auth = meta.get("HTTP_AUTHORIZATION", "")
    if not raw and auth.lower().startswith("bearer "):
        raw = auth[7:].strip()
    return _subject_of_raw_token(raw)


def _from_http(request) -> Subject:
    from rest_framework import exceptions

    from coderportal.api.authentication import SESSION_TOKEN_COOKIE, resolve_token, token_from_request

    app_host = (getattr(request, "scope", None) or {}).get("coder_app_host")
    if app_host:
        return _from_app_host(request, app_host)
    auth = getattr(request, "auth", None)  # a DRF request that authenticated already
    if auth is not None and hasattr(auth, "scope"):
        return subject_for(request.user, auth) if _active(request.user) else ANONYMOUS
    raw = token_from_request(request)
    if raw:
        try:
            key = resolve_token(raw)
        except exceptions.AuthenticationFailed:
            # A bad token sent on purpose (header, bearer) never falls back to the session; a
            # stale token *cookie* beside a live browser session does (pages like the terminal).
            if request.COOKIES.get(SESSION_TOKEN_COOKIE) != raw:
                return ANONYMOUS
        else:
            return subject_for(key.user, key)
    user = getattr(request, "user", None)
    return subject_for(user) if _active(user) else ANONYMOUS


def _from_websocket(scope: dict) -> Subject:
    if scope.get("coder_app_host"):
        return _from_app_host_websocket(scope)
    if "token_user" in scope:  # set by coderportal.ws_auth when a token was presented
        user, key = scope["token_user"], scope.get("api_key")
        return subject_for(user, key) if _active(user) and key is not None else ANONYMOUS
    user = scope.get("user")
    return subject_for(user) if _active(user) else ANONYMOUS


def _from_app_host_websocket(scope: dict) -> Subject:
    from http.cookies import CookieError, SimpleCookie

    from accounts.services.app_tokens import APP_COOKIE

    cookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name.lower() == b"cookie":
            try:
                cookie.load(value.decode("latin-1"))
            except CookieError:
                return ANONYMOUS
    morsel = cookie.get(APP_COOKIE)
    raw = _app_cookie_token(morsel.value if morsel else None, scope["coder_app_host"])
    if raw:  # the app's cookie first, as over HTTP
        return _subject_of_raw_token(raw)
    # Else a header or bearer token (never one of the portal's cookies: they mean nothing here).
    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    by_header = b"coder-session-token" in headers or headers.get(b"authorization", b"").lower().startswith(b"bearer ")
    user, key = scope.get("token_user"), scope.get("api_key")
    return subject_for(user, key) if by_header and key is not None and _active(user) else ANONYMOUS


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

