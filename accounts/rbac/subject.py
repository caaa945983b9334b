"""Subjects: who is asking, with every role permission they hold, loaded once per request."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from . import builtin_roles

Perm = tuple[str, str, bool]  # (resource_type, action, negate)


def _perms(entries) -> tuple[Perm, ...]:
    return tuple((e["resource_type"], e["action"], bool(e.get("negate"))) for e in entries or ())


@dataclass(frozen=True)
class Subject:
    """An authenticated principal and its permissions at the three levels.

    `org_perms[org]` and `org_user_perms[org]` exist exactly for the organizations the user
    is a member of. `group_ids` includes the "Everyone" group of each organization (its id
    is the organization's id).
    """

    user_id: uuid.UUID | None
    username: str = ""
    site_roles: tuple[str, ...] = ()
    site_perms: tuple[Perm, ...] = ()
    site_user_perms: tuple[Perm, ...] = ()
    org_roles: dict = field(default_factory=dict)       # org_id -> tuple[role names]
    org_perms: dict = field(default_factory=dict)       # org_id -> tuple[Perm]
    org_user_perms: dict = field(default_factory=dict)  # org_id -> tuple[Perm]
    group_ids: frozenset = frozenset()
    scope: str = "all"
    is_system: bool = False

    @property
    def org_ids(self) -> frozenset:
        return frozenset(self.org_perms)

    def __hash__(self):
        return hash((self.user_id, self.is_system))


SYSTEM = Subject(user_id=None, username="system", is_system=True)
ANONYMOUS = Subject(user_id=None, username="")


def _site_permissions(role) -> list:
    from coderportal import config

    if (role.builtin and role.name == builtin_roles.OWNER
            and config.get_bool("CODER_DISABLE_OWNER_WORKSPACE_ACCESS")):
        return builtin_roles.owner_site_permissions_without_workspace_exec()
    return role.site_permissions


def subject_for(user, token=None) -> Subject:
    """Build the subject of `user` in three queries (site roles, memberships+roles, groups)."""
    from django.db.models import Q

    from accounts.models import Group, OrganizationMember, Role

    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    # One query: the user's site roles plus the two implicit built-in roles.
    implicit_names = (builtin_roles.IMPLICIT_SITE_ROLE, builtin_roles.IMPLICIT_ORG_ROLE)
    roles = list(Role.objects.filter(Q(site_users=user) | Q(name__in=implicit_names, organization=None)).distinct())
    org_member_role = next((r for r in roles if r.name == builtin_roles.IMPLICIT_ORG_ROLE and r.builtin), None)
    site = [r for r in roles if not r.is_org_role]
    site_perms = tuple(p for r in site for p in _perms(_site_permissions(r)))
    site_user_perms = tuple(p for r in site for p in _perms(r.user_permissions))

    org_roles, org_perms, org_user_perms = {}, {}, {}
    # One query: each membership joined to its explicit roles (NULL role for none).
    rows = OrganizationMember.objects.filter(user=user).values_list(
        "organization_id", "roles__name", "roles__organization_permissions", "roles__user_permissions")
    explicit: dict = {}
    for org, name, org_permissions, user_permissions in rows:
        explicit.setdefault(org, [])
        if name is not None:
            explicit[org].append((name, org_permissions, user_permissions))
    implicit = [] if org_member_role is None else [(org_member_role.name, org_member_role.organization_permissions,
                                                    org_member_role.user_permissions)]
    for org, roles in explicit.items():
        roles = roles + implicit
        org_roles[org] = tuple(name for name, _, _ in roles)
        org_perms[org] = tuple(p for _, perms, _ in roles for p in _perms(perms))
        org_user_perms[org] = tuple(p for _, _, perms in roles for p in _perms(perms))

    group_ids = set(Group.objects.filter(auth_group__user=user).values_list("id", flat=True))
    group_ids.update(org_perms)  # "Everyone" group of each organization shares its id
    scope = getattr(token, "scope", "all") if token is not None else "all"
    return Subject(user_id=user.pk, username=user.username, site_roles=tuple(r.name for r in site),
                   site_perms=site_perms, site_user_perms=site_user_perms, org_roles=org_roles,
                   org_perms=org_perms, org_user_perms=org_user_perms, group_ids=frozenset(group_ids),
                   scope=scope)
