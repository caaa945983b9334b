"""API keys: issuing session and named tokens as `<id>-<secret>`, storing only a hash."""
from __future__ import annotations

import secrets
import string
from datetime import timedelta

from django.utils import timezone

from accounts.models import APIKey
from coderportal import config
from coderportal.api.authentication import hash_secret

ID_ALPHABET = string.ascii_letters + string.digits


def _new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(10))


def _new_secret() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(22))


def issue(user, *, login_type: str, lifetime_seconds: int | None = None, token_name: str = "",
          scope: str = "all", ip: str | None = None) -> tuple[APIKey, str]:
    """Create a key and return it with the only copy of the plaintext token."""
    if lifetime_seconds is None:
        lifetime_seconds = config.parse_duration(config.get("CODER_SESSION_DURATION"))
    secret = _new_secret()
    key = APIKey.objects.create(
        id=_new_id(), user=user, hashed_secret=hash_secret(secret), login_type=login_type,
        token_name=token_name, scope=scope, lifetime_seconds=lifetime_seconds,
        expires_at=timezone.now() + timedelta(seconds=lifetime_seconds), ip_address=ip)
    return key, f"{key.id}-{secret}"


def issue_token_for_tests(user) -> str:
    return issue(user, login_type="password")[1]
