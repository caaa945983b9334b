"""Who is calling the bridge: the portal token from `Authorization: Bearer` (OpenAI SDKs) or
`X-Api-Key` (Anthropic SDKs, Claude Code).

As Coder, the key is checked without touching `last_used` or the expiry (agents call the
bridge constantly), and every refusal is the same 403 `unauthorized`.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.utils import timezone

from accounts import rbac
from accounts.models import APIKey
from aibridge import db
from coderportal.api.authentication import hash_secret


@dataclass(frozen=True)
class Caller:
    user_id: object
    username: str
    api_key_id: str
    subject: rbac.Subject


class AuthError(Exception):
    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text


def token_from_headers(headers) -> str | None:
    scheme, _, value = headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip() and " " not in value.strip():
        return value.strip()
    return headers.get("X-Api-Key", "").strip() or None


def _check(raw: str) -> Caller:
    key_id, sep, secret = raw.partition("-")
    if not sep or not key_id or not secret:
        raise AuthError(403, "unauthorized")
    key = APIKey.objects.select_related("user").filter(pk=key_id).first()
    if key is None or key.expires_at <= timezone.now():
        raise AuthError(403, "unauthorized")
    if not hmac.compare_digest(key.hashed_secret, hash_secret(secret)):
        raise AuthError(403, "unauthorized")
    user = key.user
    if user.deleted or not user.is_active:  # deleted or suspended
        raise AuthError(403, "unauthorized")
    subject = rbac.subject_for(user, key)
    # Using the bridge creates interceptions owned by the caller.
    if not rbac.can(subject, rbac.Action.CREATE, rbac.RbacObject(type="aibridge_interception", owner_id=user.pk)):
        raise AuthError(403, "unauthorized")
    return Caller(user.pk, user.username, key.pk, subject)


async def authenticate(headers) -> Caller:
    raw = token_from_headers(headers)
    if not raw:
        raise AuthError(400, "no authentication key provided")
    return await db.run(_check, raw)
