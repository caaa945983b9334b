"""Writing audit rows. Every service that mutates calls `record` inside its transaction.

The request context (IP, user agent, request id) is attached by the API/admin layer through
`Actor`; services only say what changed. Secret fields are marked and their values dropped.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from accounts.models import AuditLog

SECRET_FIELDS = {"password", "hashed_secret", "token", "secret", "client_secret", "session_token"}
NIL_UUID = "00000000-0000-0000-0000-000000000000"

# Coder's `codersdk.ResourceType` values: the only types the API shows. Rows of our own
# objects that Coder does not audit (e.g. uploaded files, SSO provider settings edited in
# the admin) are kept for the admin's audit view and left out of the API.
CODER_RESOURCE_TYPES = frozenset({
    "template", "template_version", "user", "workspace", "workspace_build", "git_ssh_key", "api_key",
    "group", "license", "convert_login", "health_settings", "notifications_settings", "prebuilds_settings",
    "workspace_proxy", "organization", "oauth2_provider_app", "oauth2_provider_app_secret", "custom_role",
    "organization_member", "notification_template", "idp_sync_settings_organization",
    "idp_sync_settings_group", "idp_sync_settings_role", "workspace_agent", "workspace_app", "task"})


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


def resource_uuid(resource_id) -> str:
    """The row's resource id as Coder's uuid column holds it (nil when there is none)."""
    return str(uuid.UUID(str(resource_id))) if resource_id else NIL_UUID


def record(actor: Actor | None, action: str, resource_type: str, *, resource_id="", target: str = "",
           organization=None, changes: dict | None = None, status_code: int = 200, additional: dict | None = None,
           description: str = "", user=None) -> AuditLog:
    """Write one audit row. `resource_id` is a UUID: API-key rows name the key's owner, as
    Coder records them (a key's own id is not a UUID; it is in the diff)."""
    user = user if user is not None else (actor.user if actor else None)
    return AuditLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        organization=organization,
        ip=actor.ip if actor else None,
        user_agent=(actor.user_agent if actor else "")[:1024],
        request_id=actor.request_id if actor else "",
        resource_type=resource_type,
        resource_id=resource_uuid(resource_id),
        resource_target=target,
        action=action,
        diff=changes or {},
        status_code=status_code,
        additional_fields=_jsonable(additional or {}),
        description=description,
    )
