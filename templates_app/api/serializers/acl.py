"""Coder's TemplateACL (`{users: [User + role], group: [Group + role]}`) and ACLAvailable
(`{users: [ReducedUser], groups: [Group]}`).

Users and groups are rendered from rows whose relations are prefetched by `prefetch_users`
/ `prefetch_groups`, so an ACL of any size costs a constant number of queries.
"""
from __future__ import annotations

from django.db.models import Prefetch

from accounts.models import OrganizationMember, User
from coderportal.api.encoding import go_time_value


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def prefetch_users(queryset):
    return queryset.prefetch_related(
        "site_roles", Prefetch("memberships", queryset=OrganizationMember.objects.only("id", "user_id",
                                                                                         "organization_id")))


def prefetch_groups(queryset):
    return queryset.select_related("organization").prefetch_related(
        Prefetch("auth_group__user_set", queryset=User.objects.filter(deleted=False).order_by("username"),
                 to_attr="portal_members"))


def reduced_user_json(user) -> dict:
    return {
        "id": str(user.id), "username": user.username, "name": user.name, "email": user.email,
        "avatar_url": user.avatar_url, "created_at": _time(user.created_at), "updated_at": _time(user.updated_at),
        "last_seen_at": go_time_value(user.last_seen_at), "status": user.status, "login_type": user.login_type,
        "theme_preference": user.theme_preference,
    }


def user_json(user) -> dict:
    roles = sorted(user.site_roles.all(), key=lambda r: r.name)
    return {
        **reduced_user_json(user),
        "organization_ids": [str(m.organization_id) for m in user.memberships.all()],
        "roles": [{"name": r.name, "display_name": r.display_name,
                   "organization_id": str(r.organization_id) if r.organization_id else ""} for r in roles],
    }


def group_json(group, everyone_members=None) -> dict:
    """Coder's Group. The Everyone group's members are the organization's members, passed
    in by the caller (`everyone_members`: {org id: [users]})."""
    if group.is_everyone:
        members = (everyone_members or {}).get(group.organization_id, [])
    else:
        members = getattr(group, "portal_members", None)
        if members is None:
            members = list(group.auth_group.user_set.filter(deleted=False).order_by("username"))
    org = group.organization
    return {
        "id": str(group.id), "name": group.name, "display_name": group.display_name,
        "organization_id": str(org.id), "organization_name": org.name,
        "organization_display_name": org.display_name or org.name,
        "members": [reduced_user_json(u) for u in members], "total_member_count": len(members),
        "avatar_url": group.avatar_url, "quota_allowance": group.quota_allowance, "source": group.source,
    }


def everyone_members(groups) -> dict:
    """{org id: [members]} for the Everyone groups among `groups` (one query)."""
    org_ids = [g.organization_id for g in groups if g.is_everyone]
    if not org_ids:
        return {}
    members: dict = {}
    for m in (OrganizationMember.objects.filter(organization_id__in=org_ids, user__deleted=False)
              .select_related("user").order_by("user__username")):
        members.setdefault(m.organization_id, []).append(m.user)
    return members


def template_acl_json(users_with_roles, groups_with_roles) -> dict:
    groups = [g for g, _ in groups_with_roles]
    everyone = everyone_members(groups)
    return {"users": [{**user_json(u), "role": role} for u, role in users_with_roles],
            "group": [{**group_json(g, everyone), "role": role} for g, role in groups_with_roles]}


def acl_available_json(users, groups) -> dict:
    groups = list(groups)
    everyone = everyone_members(groups)
    return {"users": [reduced_user_json(u) for u in users], "groups": [group_json(g, everyone) for g in groups]}
