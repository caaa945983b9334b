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


def _implicit_roles(Role):
    names = (builtin_roles.IMPLICIT_SITE_ROLE, builtin_roles.IMPLICIT_ORG_ROLE)
    found = {r.name: r for r in Role.objects.filter(name__in=names, organization=None)}
    return found.get(names[0]), found.get(names[1])


def subject_for(user, token=None) -> Subject:
    """Build the subject of `user` in three queries (site roles, memberships+roles, groups)."""
    from accounts.models import Group, OrganizationMember, Role

    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    member_role, org_member_role = _implicit_roles(Role)
    site = list(user.site_roles.all())
    if member_role is not None and all(r.pk != member_role.pk for r in site):
        site.append(member_role)
    site_perms = tuple(p for r in site for p in _perms(r.site_permissions))
    site_user_perms = tuple(p for r in site for p in _perms(r.user_permissions))

    org_roles, org_perms, org_user_perms = {}, {}, {}
    memberships = OrganizationMember.objects.filter(user=user).prefetch_related("roles")
    for membership in memberships:
        roles = list(membership.roles.all())
        if org_member_role is not None:
            roles.append(org_member_role)
        org = membership.organization_id
        org_roles[org] = tuple(r.name for r in roles)
        org_perms[org] = tuple(p for r in roles for p in _perms(r.organization_permissions))
        org_user_perms[org] = tuple(p for r in roles for p in _perms(r.user_permissions))

    group_ids = set(Group.objects.filter(auth_group__user=user).values_list("id", flat=True))
    group_ids.update(org_perms)  # "Everyone" group of each organization shares its id
    scope = getattr(token, "scope", "all") if token is not None else "all"
    return Subject(user_id=user.pk, username=user.username, site_roles=tuple(r.name for r in site),
                   site_perms=site_perms, site_user_perms=site_user_perms, org_roles=org_roles,
                   org_perms=org_perms, org_user_perms=org_user_perms, group_ids=frozenset(group_ids),
                   scope=scope)
