"""Writing audit rows. Every service that mutates calls `record` inside its transaction.

The request context (IP, user agent, request id) is attached by the API/admin layer through
`Actor`; services only say what changed. Secret fields are marked and their values dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accounts.models import AuditLog

SECRET_FIELDS = {"password", "hashed_secret", "token", "secret", "client_secret", "session_token"}


@dataclass
class Actor:
    """Who is acting (user + RBAC subject) and from where."""

    user: Any
    subject: Any
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def system(cls):
        from accounts.rbac import SYSTEM

        return cls(user=None, subject=SYSTEM)

    @classmethod
    def for_user(cls, user, **kw):
        from accounts.rbac import subject_for

        return cls(user=user, subject=subject_for(user), **kw)


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def diff(old: dict | None, new: dict | None) -> dict:
    """Field-level diff `{field: {old, new, secret}}`; secret values are never stored."""
    old, new = old or {}, new or {}
    changes = {}
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        secret = key in SECRET_FIELDS
        changes[key] = {"old": "" if secret else _jsonable(old.get(key)),
                        "new": "" if secret else _jsonable(new.get(key)), "secret": secret}
    return changes


def snapshot(instance, fields) -> dict:
    return {f: _jsonable(getattr(instance, f)) for f in fields}


def record(actor: Actor | None, action: str, resource_type: str, *, resource_id="", target: str = "",
           organization=None, changes: dict | None = None, status_code: int = 200, additional: dict | None = None,
           description: str = "", user=None) -> AuditLog:
    user = user if user is not None else (actor.user if actor else None)
    return AuditLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        organization=organization,
        ip=actor.ip if actor else None,
        user_agent=(actor.user_agent if actor else "")[:1024],
        request_id=actor.request_id if actor else "",
        resource_type=resource_type,
        resource_id=str(resource_id or ""),
        resource_target=target,
        action=action,
        diff=changes or {},
        status_code=status_code,
        additional_fields=_jsonable(additional or {}),
        description=description,
    )
