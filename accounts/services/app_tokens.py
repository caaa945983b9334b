"""The subdomain-app handshake (Coder's): the portal never shares its session with an app's
origin. Instead, for a logged-in user who opens an app on its own host:

1. the app host redirects to `/api/v2/applications/auth-redirect?redirect_uri=<app URL>`;
2. there the portal issues an API key scoped to `application_connect` and sends the browser
   back with a **handshake token**: the key, encrypted and bound to the app's host, valid
   for `HANDSHAKE_SECONDS`;
3. the app host exchanges it for an HttpOnly cookie holding the key encrypted and bound to
   that host (`APP_COOKIE`), and redirects to the clean URL.

The key can only connect to apps (its scope), only through that host (the binding), and
dies with its lifetime or when revoked like any other key. The plaintext key never appears
in a URL, a log or the app's own requests (the proxy strips every portal cookie).
"""
from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from accounts.models.apikeys import APIKeyScope

APP_COOKIE = "coder_subdomain_app_session_token"
HANDSHAKE_PARAM = "coder_application_connect_api_key"
HANDSHAKE_SECONDS = 60


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"coderportal-app-tokens:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _seal(token: str, host: str, purpose: str) -> str:
    return _fernet().encrypt(json.dumps({"t": token, "h": host.lower(), "p": purpose}).encode()).decode()


def _open(sealed: str, host: str, purpose: str, ttl: int | None) -> str | None:
    try:
        data = json.loads(_fernet().decrypt(sealed.encode(), ttl=ttl))
    except (InvalidToken, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("p") != purpose or data.get("h") != host.lower():
        return None
    token = data.get("t")
    return token if isinstance(token, str) else None


def issue_handshake(user, *, host: str, login_type: str) -> str:
    """Step 2: a fresh application_connect key for `user`, sealed for `host`."""
    from accounts.services import tokens

    _, token = tokens.issue(user, login_type=login_type, scope=APIKeyScope.APPLICATION_CONNECT)
    return _seal(token, host, "handshake")


def exchange_handshake(sealed: str, *, host: str) -> str | None:
    """Step 3: the cookie value for `host`, or None when the handshake token is invalid,
    expired or was made for another host."""
    token = _open(sealed, host, "handshake", HANDSHAKE_SECONDS)
    return None if token is None else _seal(token, host, "cookie")


def token_from_app_cookie(sealed: str, *, host: str) -> str | None:
    """The API key an app cookie holds, if the cookie was made for `host`."""
    return _open(sealed, host, "cookie", None)
