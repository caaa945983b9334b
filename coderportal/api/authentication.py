"""API authentication: Coder session tokens (header, bearer, cookie) and Django sessions."""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from coderportal import config

SESSION_TOKEN_HEADER = "HTTP_CODER_SESSION_TOKEN"
SESSION_TOKEN_COOKIE = "coder_session_token"
LAST_USED_GRANULARITY = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_from_request(request) -> str | None:
    meta = request.META
    if meta.get(SESSION_TOKEN_HEADER):
        return meta[SESSION_TOKEN_HEADER].strip()
    auth = meta.get("HTTP_AUTHORIZATION", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    cookie = request.COOKIES.get(SESSION_TOKEN_COOKIE)
    return cookie or None


def resolve_token(raw: str):
    """Return the APIKey for a raw `<id>-<secret>` token, or raise AuthenticationFailed."""
    from accounts.models import APIKey

    key_id, sep, secret = raw.partition("-")
    if not sep or not key_id or not secret:
        raise exceptions.AuthenticationFailed("Invalid API key format.")
    try:
        key = APIKey.objects.select_related("user").get(pk=key_id)
    except APIKey.DoesNotExist:
        raise exceptions.AuthenticationFailed("API key is invalid.") from None
    if not hmac.compare_digest(key.hashed_secret, hash_secret(secret)):
        raise exceptions.AuthenticationFailed("API key secret is invalid.")
    now = timezone.now()
    if key.expires_at <= now:
        raise exceptions.AuthenticationFailed("API key expired.")
    if not key.user.is_active:
        raise exceptions.AuthenticationFailed("Your account is suspended. Contact an admin to reactivate it.")
    _touch(key, now)
    return key


def _touch(key, now) -> None:
    """Record use and refresh session keys, writing at most once a minute per key."""
    from accounts.models import APIKey

    updates = {}
    if key.last_used is None or now - key.last_used > LAST_USED_GRANULARITY:
        updates["last_used"] = now
    is_session = not key.token_name
    if is_session and not config.get_bool("CODER_DISABLE_SESSION_EXPIRY_REFRESH"):
        fresh_expiry = now + timedelta(seconds=key.lifetime_seconds)
        if fresh_expiry - key.expires_at > LAST_USED_GRANULARITY:
            updates["expires_at"] = fresh_expiry
    if updates:
        APIKey.objects.filter(pk=key.pk).update(**updates)
        for name, value in updates.items():
            setattr(key, name, value)
    user = key.user
    if user.last_seen_at is None or now - user.last_seen_at > LAST_USED_GRANULARITY:
        from accounts.models import User

        User.objects.filter(pk=user.pk).update(last_seen_at=now)
        user.last_seen_at = now


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = token_from_request(request)
        if not raw:
            return None
        key = resolve_token(raw)
        if self._from_cookie(request, raw) and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            # A browser sends cookies on its own: writes authenticated by the cookie alone
            # need the CSRF token too, exactly like Django sessions.
            authentication.SessionAuthentication().enforce_csrf(request)
        return key.user, key

    @staticmethod
    def _from_cookie(request, raw: str) -> bool:
        meta = request.META
        return not meta.get(SESSION_TOKEN_HEADER) and not meta.get("HTTP_AUTHORIZATION", "").lower().startswith(
            "bearer ") and request.COOKIES.get(SESSION_TOKEN_COOKIE) == raw

    def authenticate_header(self, request):
        return 'Coder-Session-Token realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """Browser sessions (admin, SSO) with CSRF enforced, as DRF does."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and not result[0].is_active:
            return None
        return result


def session_cookie_settings() -> dict:
    return {"httponly": True, "samesite": "Lax", "secure": settings.SECURE_COOKIES}
