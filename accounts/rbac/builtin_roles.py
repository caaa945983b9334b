"""Definitions of Coder's built-in roles, synced into the Role table after every migrate.

The engine reads roles from the table; these definitions are only the seed. `member` and
`organization-member` are implicit: every user has the first, every membership the second.
"""
from __future__ import annotations

from .policy import RESOURCES, WILDCARD


def perm(resource_type: str, *actions: str, negate: bool = False) -> list[dict]:
    return [{"resource_type": resource_type, "action": a, "negate": negate} for a in actions]


def all_of(resource_type: str) -> list[dict]:
    return perm(resource_type, WILDCARD)


OWNER = "owner"
MEMBER = "member"
TEMPLATE_ADMIN = "template-admin"
USER_ADMIN = "user-admin"
AUDITOR = "auditor"
ORG_ADMIN = "organization-admin"
ORG_MEMBER = "organization-member"
ORG_USER_ADMIN = "organization-user-admin"
ORG_TEMPLATE_ADMIN = "organization-template-admin"
ORG_AUDITOR = "organization-auditor"
ORG_WORKSPACE_CREATION_BAN = "organization-workspace-creation-ban"

IMPLICIT_SITE_ROLE = MEMBER
IMPLICIT_ORG_ROLE = ORG_MEMBER

# Coder's CODER_DISABLE_OWNER_WORKSPACE_ACCESS: the owner role then grants, at site level,
# everything except connecting to workspaces (ssh, application_connect). Those are not
# negated — a site-level negative would also deny the owner's own workspaces, since the
# higher level wins — they are simply not granted; the owner's own workspaces stay
# reachable through the user-level permissions every organization member holds.
_WORKSPACE_EXEC = ("ssh", "application_connect")


def owner_site_permissions_without_workspace_exec() -> list[dict]:
    out = []
    for resource_type, actions in RESOURCES.items():
        if resource_type in ("workspace", "workspace_dormant"):
            out += perm(resource_type, *[a for a in actions if a not in _WORKSPACE_EXEC])
        else:
            out += all_of(resource_type)
    return out


_template_admin_perms = (
    all_of("template") + perm("file", "create", "read") + perm("workspace", "read")
    + all_of("provisioner_daemon") + perm("provisioner_jobs", "read") + perm("organization", "read")
    + perm("group", "read") + perm("group_member", "read") + perm("organization_member", "read")
)
_user_admin_org_perms = (
    all_of("organization_member") + all_of("group") + perm("group_member", "read")
    + perm("assign_org_role", "assign", "unassign", "read") + perm("organization", "read")
)
_auditor_perms = (
    perm("audit_log", "read") + perm("template", "read", "view_insights") + perm("group", "read")
    + perm("group_member", "read") + perm("organization_member", "read") + perm("organization", "read")
)
# Organization admins may do everything inside their organization except reach into other
# people's workspaces (ssh / application_connect), as in Coder.
_org_admin_perms = [p for rt in RESOURCES if rt not in ("workspace", "workspace_dormant", "user")
                    for p in all_of(rt)]
_org_admin_perms += perm("workspace", "create", "read", "update", "delete", "start", "stop")
_org_admin_perms += perm("workspace_dormant", "create", "read", "update", "delete", "stop")
# What every user may do with what they own (objects outside any organization).
_member_user_perms = (
    perm("user", "read", "read_personal", "update_personal") + all_of("api_key")
    + perm("notification_preference", "read", "update") + perm("file", "create", "read")
    + perm("aibridge_interception", "create", "read", "update")  # their own AI Bridge interceptions
    + perm("inbox_notification", "read", "update")
)
# What every organization member may do with what they own inside that organization.
_org_member_user_perms = (
    all_of("workspace") + perm("workspace_dormant", "read", "delete", "update", "stop") + perm("file", "create", "read")
)

SITE_ROLES: list[dict] = [
    {"name": OWNER, "display_name": "Owner",
     "description": "Full access to everything in the deployment.",
     "site_permissions": all_of(WILDCARD), "user_permissions": []},
    {"name": MEMBER, "display_name": "Member",
     "description": "Every user: manages what they own.",
     "site_permissions": perm("assign_role", "read") + perm("provisioner_daemon", "read")
     + perm("workspace_proxy", "read") + perm("notification_template", "read"),
     "user_permissions": _member_user_perms},
    {"name": TEMPLATE_ADMIN, "display_name": "Template Admin",
     "description": "Manages all templates and provisioners; reads all workspaces.",
     "site_permissions": _template_admin_perms + perm("user", "read"), "user_permissions": []},
    {"name": USER_ADMIN, "display_name": "User Admin",
     "description": "Manages users, organization members, groups and role assignment.",
     "site_permissions": all_of("user") + _user_admin_org_perms + perm("assign_role", "assign", "unassign", "read"),
     "user_permissions": []},
    {"name": AUDITOR, "display_name": "Auditor",
     "description": "Reads audit logs, users, groups, members, deployment settings and AI Bridge records.",
     "site_permissions": _auditor_perms + perm("user", "read") + perm("deployment_config", "read")
     + perm("deployment_stats", "read") + perm("aibridge_interception", "read"),
     "user_permissions": []},
]

ORG_ROLES: list[dict] = [
    {"name": ORG_ADMIN, "display_name": "Organization Admin",
     "description": "Everything inside the organization except connecting to others' workspaces.",
     "organization_permissions": _org_admin_perms, "user_permissions": _org_member_user_perms},
    {"name": ORG_MEMBER, "display_name": "Organization Member",
     "description": "Every member of the organization.",
     "organization_permissions": perm("organization", "read") + perm("assign_org_role", "read")
     + perm("provisioner_daemon", "read") + perm("organization_member", "read"),
     "user_permissions": _org_member_user_perms},
    {"name": ORG_USER_ADMIN, "display_name": "Organization User Admin",
     "description": "Manages the organization's members and groups.",
     "organization_permissions": _user_admin_org_perms, "user_permissions": []},
    {"name": ORG_TEMPLATE_ADMIN, "display_name": "Organization Template Admin",
     "description": "Manages the organization's templates and provisioners.",
     "organization_permissions": _template_admin_perms, "user_permissions": []},
    {"name": ORG_AUDITOR, "display_name": "Organization Auditor",
     "description": "Reads the organization's audit log, templates, groups and members.",
     "organization_permissions": _auditor_perms, "user_permissions": []},
    {"name": ORG_WORKSPACE_CREATION_BAN, "display_name": "Organization Workspace Creation Ban",
     "description": "Cannot create workspaces in this organization.",
     "organization_permissions": perm("workspace", "create", negate=True), "user_permissions": []},
]

# Who may assign which role (Coder's assign matrix): assigner role -> assignable role names.
ASSIGNABLE_BY: dict[str, set[str]] = {
    OWNER: {OWNER, TEMPLATE_ADMIN, USER_ADMIN, AUDITOR, MEMBER},
    USER_ADMIN: {MEMBER, TEMPLATE_ADMIN, AUDITOR},
    ORG_ADMIN: {ORG_ADMIN, ORG_MEMBER, ORG_USER_ADMIN, ORG_TEMPLATE_ADMIN, ORG_AUDITOR, ORG_WORKSPACE_CREATION_BAN},
    ORG_USER_ADMIN: {ORG_MEMBER, ORG_TEMPLATE_ADMIN, ORG_AUDITOR, ORG_WORKSPACE_CREATION_BAN},
}


def sync_builtin_roles(Role) -> None:
    """Upsert the built-in roles into the Role table (run after migrate)."""
    for spec in SITE_ROLES:
        Role.objects.update_or_create(
            name=spec["name"], organization=None,
            defaults={**spec, "is_org_role": False, "builtin": True, "organization_permissions": []})
    for spec in ORG_ROLES:
        Role.objects.update_or_create(
            name=spec["name"], organization=None,
            defaults={**spec, "is_org_role": True, "builtin": True, "site_permissions": []})
