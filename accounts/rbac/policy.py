"""The vocabulary of authorization: resource types and the actions each one supports.

Follows Coder's `rbac/policy` names so that custom roles written for Coder read the same here.
"""
from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    USE = "use"
    READ_PERSONAL = "read_personal"
    UPDATE_PERSONAL = "update_personal"
    SSH = "ssh"
    APPLICATION_CONNECT = "application_connect"
    VIEW_INSIGHTS = "view_insights"
    START = "start"
    STOP = "stop"
    ASSIGN = "assign"
    UNASSIGN = "unassign"


WILDCARD = "*"
_CRUD = ("create", "read", "update", "delete")

# resource type -> actions it supports
RESOURCES: dict[str, tuple[str, ...]] = {
    "user": _CRUD + ("read_personal", "update_personal"),
    "workspace": _CRUD + ("start", "stop", "ssh", "application_connect"),
    "workspace_dormant": _CRUD + ("start", "stop", "ssh", "application_connect"),
    "workspace_proxy": _CRUD,
    "license": ("create", "read", "delete"),
    "audit_log": ("read", "create"),
    "deployment_config": ("read", "update"),
    "deployment_stats": ("read",),
    "replicas": ("read",),
    "template": _CRUD + ("use", "view_insights"),
    "group": _CRUD,
    "group_member": ("read",),
    "file": ("create", "read"),
    "provisioner_daemon": _CRUD,
    "provisioner_jobs": ("read",),
    "organization": _CRUD,
    "organization_member": _CRUD,
    "debug_info": ("read",),
    "system": _CRUD,
    "api_key": _CRUD,
    "assign_role": ("assign", "unassign", "read", "create", "update", "delete"),
    "assign_org_role": ("assign", "unassign", "read", "create", "update", "delete"),
    "notification_preference": ("read", "update"),
    "notification_message": _CRUD,
    "notification_template": ("read", "update"),
    "inbox_notification": ("create", "read", "update"),
    "idpsync_settings": ("read", "update"),
    "aibridge_interception": ("read", "create", "update"),
}


def is_valid_permission(resource_type: str, action: str) -> bool:
    if resource_type == WILDCARD:
        return action == WILDCARD or any(action in acts for acts in RESOURCES.values())
    if resource_type not in RESOURCES:
        return False
    return action == WILDCARD or action in RESOURCES[resource_type]
