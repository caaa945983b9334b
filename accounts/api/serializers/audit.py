"""Coder's AuditLog JSON (`codersdk.AuditLog`) and the list envelope `AuditLogResponse`.

Rows must come with `user`, `organization` and `user.site_roles` loaded (see
`accounts.api.audit`), so a page costs a constant number of queries. `is_deleted` and
`resource_link` are computed per page by the view and passed in the context.
"""
from __future__ import annotations

import uuid

from rest_framework import serializers

from accounts.api.serializers.users import UserSerializer
from coderportal.api.encoding import omit_empty

NIL_UUID = "00000000-0000-0000-0000-000000000000"

# Coder's `AuditAction.Friendly()` and `ResourceType.FriendlyString()`.
FRIENDLY_ACTIONS = {
    "create": "created", "write": "updated", "delete": "deleted", "start": "started", "stop": "stopped",
    "login": "logged in", "logout": "logged out", "register": "registered", "connect": "connected",
    "disconnect": "disconnected", "open": "opened", "close": "closed",
    "request_password_reset": "password reset",
}
FRIENDLY_RESOURCES = {"api_key": "token", "git_ssh_key": "git ssh key", "convert_login": "login type"}
NO_TARGET_ACTIONS = {"login", "logout", "register"}


def describe(entry) -> str:
    """Coder's description template: "{user} created user {target}"."""
    parts = [] if entry.action == "request_password_reset" else ["{user} "]
    if entry.status_code >= 400:
        parts.append(f"unsuccessfully attempted to {entry.action}")
    else:
        parts.append(FRIENDLY_ACTIONS.get(entry.action, entry.action))
    if entry.resource_type == "api_key" and entry.action in NO_TARGET_ACTIONS:
        return "".join(parts)
    resource = FRIENDLY_RESOURCES.get(entry.resource_type, entry.resource_type.replace("_", " "))
    if entry.resource_type == "git_ssh_key":
        return "".join(parts) + f" the {resource}"
    parts.append(" for" if entry.action == "request_password_reset" else f" {resource}")
    if entry.resource_type == "convert_login":
        parts.append(" to")
    return "".join(parts) + " {target}"


class AuditUserSerializer(UserSerializer):
    def get_organization_ids(self, user) -> list:
        return []  # as Coder: not loaded for audit entries


class MinimalOrganizationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    icon = serializers.CharField()


class AuditLogSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    request_id = serializers.SerializerMethodField()
    time = serializers.DateTimeField()
    ip = serializers.SerializerMethodField()
    user_agent = serializers.CharField()
    resource_type = serializers.CharField()
    resource_id = serializers.SerializerMethodField()
    resource_target = serializers.CharField()
    resource_icon = serializers.CharField()
    action = serializers.CharField()
    diff = serializers.JSONField()
    status_code = serializers.IntegerField()
    additional_fields = serializers.JSONField()
    description = serializers.SerializerMethodField()
    resource_link = serializers.SerializerMethodField()
    is_deleted = serializers.SerializerMethodField()
    organization_id = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()

    def to_representation(self, entry) -> dict:
        return omit_empty(super().to_representation(entry), "organization")

    def get_resource_id(self, entry) -> str:
        # Always a UUID, as Coder's column. Rows written before that rule named an API key
        # by its own id: Coder files those under the key's owner.
        try:
            return str(uuid.UUID(entry.resource_id))
        except ValueError:
            return str(entry.user_id) if entry.resource_type == "api_key" and entry.user_id else NIL_UUID

    def get_request_id(self, entry) -> str:
        return entry.request_id or NIL_UUID

    def get_ip(self, entry) -> str:
        return entry.ip or ""

    def get_description(self, entry) -> str:
        return describe(entry)

    def get_is_deleted(self, entry) -> bool:
        return entry.pk in self.context.get("deleted", ())

    def get_resource_link(self, entry) -> str:
        return self.context.get("links", {}).get(entry.pk, "")

    def get_organization_id(self, entry) -> str:
        return str(entry.organization_id) if entry.organization_id else NIL_UUID

    def get_organization(self, entry) -> dict | None:
        return MinimalOrganizationSerializer(entry.organization).data if entry.organization_id else None

    def get_user(self, entry) -> dict | None:
        return AuditUserSerializer(entry.user).data if entry.user_id else None


class AuditLogResponseSerializer(serializers.Serializer):
    """`codersdk.AuditLogResponse` (documentation of the list envelope)."""

    audit_logs = AuditLogSerializer(many=True)
    count = serializers.IntegerField()
    count_cap = serializers.IntegerField()
