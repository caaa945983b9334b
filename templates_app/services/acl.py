"""Template access lists: per-user and per-group roles `use` / `admin` (Coder's TemplateACL).

Stored as django-guardian object permissions (`use_template`, `admin_template`, see
models/acl.py); accounts.rbac reads them through templates_app/rbac_registry.py. A user or
group holds at most one of the two: setting a role replaces the other, "" removes both.
"""
from __future__ import annotations

import uuid

from django.contrib.auth.models import Permission
from django.db import transaction

from accounts import rbac
from accounts.models import Group, OrganizationMember, User
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from templates_app.models import Template, TemplateGroupObjectPermission, TemplateUserObjectPermission
from templates_app.rbac_registry import ACL_ROLES

ROLES = tuple(ACL_ROLES)  # ("use", "admin")
CODENAME_ROLE = {codename: role for role, (codename, _actions) in ACL_ROLES.items()}


def _permission(role: str) -> Permission:
    return Permission.objects.get(content_type__app_label="templates_app", codename=ACL_ROLES[role][0])


def _role_of(codenames) -> str:
    # Both rows can only coexist if written outside this module; the stronger one wins.
    return "admin" if ACL_ROLES["admin"][0] in codenames else "use"


# --- low-level writes (callers authorize and audit) ------------------------------------------
def set_user_role(template: Template, user_id, role: str) -> None:
    TemplateUserObjectPermission.objects.filter(content_object=template, user_id=user_id).delete()
    if role:
        TemplateUserObjectPermission.objects.create(content_object=template, user_id=user_id,
                                                    permission=_permission(role))


def set_group_role(template: Template, group: Group, role: str) -> None:
    TemplateGroupObjectPermission.objects.filter(content_object=template, group_id=group.auth_group_id).delete()
    if role:
        TemplateGroupObjectPermission.objects.create(content_object=template, group_id=group.auth_group_id,
                                                     permission=_permission(role))


def grant_group(template: Template, group: Group, role: str) -> None:
    set_group_role(template, group, role)


def revoke_group_id(template: Template, group_id) -> bool:
    """Remove a group's role (by portal group id); True when it had one."""
    deleted, _ = TemplateGroupObjectPermission.objects.filter(
        content_object=template, group__portal_group__id=group_id).delete()
    return bool(deleted)


# --- reads ----------------------------------------------------------------------------------
def user_roles(template: Template) -> dict:
    """{user_id: role} of the template's user entries."""
    codenames: dict = {}
    for user_id, codename in TemplateUserObjectPermission.objects.filter(content_object=template).values_list(
            "user_id", "permission__codename"):
        codenames.setdefault(user_id, set()).add(codename)
    return {user_id: _role_of(c) for user_id, c in codenames.items()}


def group_roles(template: Template) -> dict:
    """{portal group id: role} of the template's group entries."""
    codenames: dict = {}
    for group_id, codename in TemplateGroupObjectPermission.objects.filter(
            content_object=template, group__portal_group__isnull=False).values_list(
            "group__portal_group__id", "permission__codename"):
        codenames.setdefault(group_id, set()).add(codename)
    return {group_id: _role_of(c) for group_id, c in codenames.items()}


def get_acl(template: Template, *, subject):
    """(users, {user id: role}, groups, {group id: role}): the entries the subject may see —
    users it can read, groups of the template's organization. Querysets stay lazy so the
    caller can prefetch what it renders."""
    rbac.authorize(subject, "read", template)
    users_by_role = user_roles(template)
    users = rbac.filter_queryset(subject, "read", User.objects.filter(pk__in=list(users_by_role), deleted=False))
    groups_by_role = group_roles(template)
    groups = Group.objects.filter(pk__in=list(groups_by_role), organization_id=template.organization_id)
    return users.order_by("username"), users_by_role, groups.order_by("name"), groups_by_role


def available(template: Template, *, subject):
    """Users (members of the template's organization) and groups that may be added."""
    rbac.authorize(subject, "update", template)
    org_id = template.organization_id
    users = User.objects.filter(deleted=False, memberships__organization_id=org_id).order_by("username")
    groups = Group.objects.filter(organization_id=org_id).select_related("organization").order_by("name")
    return rbac.filter_queryset(subject, "read", users), groups


# --- update ---------------------------------------------------------------------------------
def _parse(perms, field: str, errors: dict) -> dict[uuid.UUID, str]:
    problems, parsed = [], {}
    if not isinstance(perms, dict):
        errors[field] = "Must be an object mapping ids to roles."
        return {}
    for key, role in perms.items():
        if role not in ROLES + ("",):
            problems.append(f"Role {role!r} of {key} is not valid: use \"use\", \"admin\" or \"\" to remove.")
            continue
        try:
            parsed[uuid.UUID(str(key))] = role
        except ValueError:
            problems.append(f"ID {key!r} must be a valid UUID.")
    if problems:
        errors[field] = " ".join(problems)
    return parsed


def _check_members(template: Template, users: dict, groups: dict, errors: dict) -> dict:
    org_id = template.organization_id
    members = set(OrganizationMember.objects.filter(organization_id=org_id, user_id__in=list(users),
                                                    user__deleted=False).values_list("user_id", flat=True))
    missing = [str(u) for u, role in users.items() if role and u not in members]
    if missing:
        errors["user_perms"] = f"Not members of the template's organization: {', '.join(sorted(missing))}."
    found = {g.pk: g for g in Group.objects.filter(organization_id=org_id, pk__in=list(groups))}
    missing = [str(g) for g, role in groups.items() if role and g not in found]
    if missing:
        errors["group_perms"] = f"Not groups of the template's organization: {', '.join(sorted(missing))}."
    return found


def update_acl(template: Template, *, actor: Actor, user_perms=None, group_perms=None) -> None:
    """Coder's PATCH /templates/{id}/acl: each entry sets a role; "" removes the entry."""
    rbac.authorize(actor.subject, "update", template)
    errors: dict[str, str] = {}
    users = _parse(user_perms or {}, "user_perms", errors)
    groups = _parse(group_perms or {}, "group_perms", errors)
    found_groups = _check_members(template, users, groups, errors)
    if errors:
        raise ValidationFailed("Invalid request to update template ACL.", errors)
    with transaction.atomic():
        old_users, old_groups = user_roles(template), group_roles(template)
        for user_id, role in users.items():
            set_user_role(template, user_id, role)
        for group_id, role in groups.items():
            if group_id in found_groups:
                set_group_role(template, found_groups[group_id], role)
            elif not role:
                revoke_group_id(template, group_id)
        new_users, new_groups = user_roles(template), group_roles(template)
        audit.record(actor, "write", "template", resource_id=template.id, target=template.name,
                     organization=template.organization,
                     changes=audit.diff({"user_acl": {str(k): v for k, v in old_users.items()},
                                         "group_acl": {str(k): v for k, v in old_groups.items()}},
                                        {"user_acl": {str(k): v for k, v in new_users.items()},
                                         "group_acl": {str(k): v for k, v in new_groups.items()}}))
