"""API keys: issuing session keys and named tokens as `<id>-<secret>` (only sha256 of the secret
is stored), listing, lookup, expiry and deletion. Token lifetimes follow Coder: a default
(`CODER_DEFAULT_TOKEN_LIFETIME`) and a cap (`CODER_MAX_TOKEN_LIFETIME`).
"""
from __future__ import annotations

import re
import secrets
import string
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import rbac
from accounts.models import APIKey
from accounts.models.apikeys import APIKeyScope
from accounts.models.users import LoginType
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from coderportal import config
from coderportal.api.authentication import hash_secret

ID_ALPHABET = string.ascii_letters + string.digits
NANOSECONDS = 1_000_000_000
TOKEN_NAME_MAX = 64
# Token names appear in URL paths (`/keys/tokens/{keyname}`): no slashes or control characters.
TOKEN_NAME_RE = re.compile(r"^[^/\x00-\x1f\x7f]+$")
KEY_AUDIT_FIELDS = ("id", "token_name", "login_type", "scope", "lifetime_seconds", "expires_at")


def _new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(10))


def _new_secret() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(22))


def issue(user, *, login_type: str, lifetime_seconds: int | None = None, token_name: str = "",
          scope: str = "all", ip: str | None = None) -> tuple[APIKey, str]:
    """Create a key and return it with the only copy of the plaintext token (no audit, no checks:
    callers are services that already authorized, or tests)."""
    if lifetime_seconds is None:
        lifetime_seconds = int(config.get_duration("CODER_SESSION_DURATION").total_seconds())
    secret = _new_secret()
    key = APIKey.objects.create(
        id=_new_id(), user=user, hashed_secret=hash_secret(secret), login_type=login_type,
        token_name=token_name, scope=scope, lifetime_seconds=lifetime_seconds,
        expires_at=timezone.now() + timedelta(seconds=lifetime_seconds), ip_address=ip)
    return key, f"{key.id}-{secret}"


def issue_token_for_tests(user) -> str:
    return issue(user, login_type="password")[1]


def key_snapshot(key: APIKey) -> dict:
    """What an audit row may say about a key: never its secret or hash."""
    return audit.snapshot(key, KEY_AUDIT_FIELDS)


def max_token_lifetime_seconds() -> int:
    return int(config.get_duration("CODER_MAX_TOKEN_LIFETIME").total_seconds())


def default_token_lifetime_seconds() -> int:
    return int(config.get_duration("CODER_DEFAULT_TOKEN_LIFETIME").total_seconds())


def _authorize_for(actor: Actor, user, action: str) -> None:
    """Keys belong to their user (`api_key` owned by them). The user is already readable here,
    so refusal is 403, not 404: owners may mint for others, everyone else only for themselves."""
    if not rbac.can(actor.subject, action, rbac.RbacObject(type="api_key", owner_id=user.pk)):
        raise rbac.Forbidden(f"Not allowed to {action} API keys of this user.")


def create_session_key(user, *, actor: Actor) -> tuple[APIKey, str]:
    """Coder's `POST /users/{user}/keys`: a session-like key with the default token lifetime."""
    _authorize_for(actor, user, "create")
    with transaction.atomic():
        key, plaintext = issue(user, login_type=LoginType.PASSWORD, lifetime_seconds=default_token_lifetime_seconds(),
                               ip=actor.ip)
        audit.record(actor, "create", "api_key", resource_id=user.id, target=key.id,
                     changes=audit.diff({}, key_snapshot(key)), status_code=201,
                     additional={"owner": user.username})
    return key, plaintext


def _lifetime_seconds(lifetime_ns: int) -> int:
    if lifetime_ns == 0:
        return min(default_token_lifetime_seconds(), max_token_lifetime_seconds())
    maximum = max_token_lifetime_seconds()
    if lifetime_ns < 0:
        raise ValidationFailed("Failed to validate create API key request.",
                               {"lifetime": "Lifetime must be a positive duration."})
    if lifetime_ns < NANOSECONDS:
        raise ValidationFailed("Failed to validate create API key request.",
                               {"lifetime": "Lifetime must be at least one second."})
    if lifetime_ns > maximum * NANOSECONDS:
        raise ValidationFailed("Failed to validate create API key request.",
                               {"lifetime": f"Lifetime must be less than {timedelta(seconds=maximum)}."})
    return lifetime_ns // NANOSECONDS


def _token_name(name: str) -> str:
    if not name:
        return f"token-{secrets.token_hex(4)}"
    if len(name) > TOKEN_NAME_MAX or not TOKEN_NAME_RE.match(name):
        raise ValidationFailed("Failed to validate create API key request.",
                               {"token_name": f"At most {TOKEN_NAME_MAX} characters, no '/' or control characters."})
    return name


def create_token(user, *, actor: Actor, token_name: str = "", lifetime_ns: int = 0,
                 scope: str = APIKeyScope.ALL) -> tuple[APIKey, str]:
    """A named long-lived token (login type `token`); the plaintext is returned once."""
    _authorize_for(actor, user, "create")
    scope = scope or APIKeyScope.ALL
    if scope not in APIKeyScope.values:
        raise ValidationFailed("Failed to validate create API key request.",
                               {"scope": f"Must be one of {', '.join(APIKeyScope.values)}."})
    lifetime = _lifetime_seconds(lifetime_ns)
    name = _token_name(token_name)
    if APIKey.objects.filter(user=user, token_name=name).exists():
        raise Conflict(f"A token with name {name!r} already exists.",
                       validations={"token_name": "A token with this name already exists."})
    try:
        with transaction.atomic():
            key, plaintext = issue(user, login_type=LoginType.TOKEN, lifetime_seconds=lifetime, token_name=name,
                                   scope=scope, ip=actor.ip)
            audit.record(actor, "create", "api_key", resource_id=user.id, target=name,
                         changes=audit.diff({}, key_snapshot(key)), status_code=201,
                         additional={"owner": user.username})
    except IntegrityError:  # a concurrent request took the name
        raise Conflict(f"A token with name {name!r} already exists.") from None
    return key, plaintext


def list_tokens(user, *, actor: Actor, include_expired: bool = False, include_all: bool = False):
    """Named tokens of `user`, or of every user the actor may see keys of (`include_all`)."""
    keys = APIKey.objects.filter(login_type=LoginType.TOKEN).select_related("user")
    if include_all:
        keys = rbac.filter_queryset(actor.subject, "read", keys)
    else:
        _authorize_for(actor, user, "read")
        keys = keys.filter(user=user)
    if not include_expired:
        keys = keys.filter(expires_at__gt=timezone.now())
    return keys.order_by("-created_at")


def _get(user, actor: Actor, **lookup) -> APIKey:
    key = APIKey.objects.filter(user=user, **lookup).select_related("user").first()
    if key is None:
        raise rbac.NotFound()
    rbac.authorize(actor.subject, "read", key)
    return key


def get_key(user, key_id: str, *, actor: Actor) -> APIKey:
    return _get(user, actor, pk=key_id)


def get_token_by_name(user, name: str, *, actor: Actor) -> APIKey:
    return _get(user, actor, token_name=name, login_type=LoginType.TOKEN)


def delete_key(key: APIKey, *, actor: Actor) -> None:
    rbac.authorize(actor.subject, "delete", key)
    with transaction.atomic():
        snapshot, owner, owner_id = key_snapshot(key), key.user.username, key.user_id
        key.delete()
        audit.record(actor, "delete", "api_key", resource_id=owner_id,
                     target=snapshot["token_name"] or snapshot["id"], changes=audit.diff(snapshot, {}),
                     additional={"owner": owner})


def expire_key(key: APIKey, *, actor: Actor) -> APIKey:
    """Expire now but keep the row (history), as Coder's `PUT /keys/{id}/expire`."""
    rbac.authorize(actor.subject, "update", key)
    now = timezone.now()
    if key.expires_at <= now:
        return key
    with transaction.atomic():
        old = key_snapshot(key)
        key.expires_at = now
        key.save(update_fields=["expires_at", "updated_at"])
        audit.record(actor, "write", "api_key", resource_id=key.user_id, target=key.token_name or key.id,
                     changes=audit.diff(old, key_snapshot(key)), additional={"owner": key.user.username})
    return key
