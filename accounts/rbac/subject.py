"""Subjects: who is asking, with every role permission they hold, loaded once per request."""
from __future__ import annotations

import json
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
    """Build the subject of `user` in one query: a UNION ALL of its site roles (plus the two
    implicit built-in roles), its memberships joined to their explicit roles, and its groups.

    Not cached on purpose: the subject is read fresh on every request, so a removed role or
    membership takes effect on the next request, in every process.
    """
    from django.db.models import BooleanField, CharField, F, JSONField, Q, UUIDField, Value

    from accounts.models import Group, OrganizationMember, Role

    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS

    def tag(kind):
        return Value(kind, output_field=CharField())

    def none(output_field):
        return Value(None, output_field=output_field)

    columns = ("kind", "ref", "org", "rname", "builtin_flag", "org_flag", "sperms", "operms", "uperms")
    implicit_names = (builtin_roles.IMPLICIT_SITE_ROLE, builtin_roles.IMPLICIT_ORG_ROLE)
    roles = Role.objects.filter(Q(site_users=user) | Q(name__in=implicit_names, organization=None)).annotate(
        kind=tag("role"), ref=F("id"), org=none(UUIDField()), rname=F("name"), builtin_flag=F("builtin"),
        org_flag=F("is_org_role"), sperms=F("site_permissions"), operms=F("organization_permissions"),
        uperms=F("user_permissions")).order_by().values_list(*columns)
    memberships = OrganizationMember.objects.filter(user=user).annotate(
        kind=tag("member"), ref=none(UUIDField()), org=F("organization_id"), rname=F("roles__name"),
        builtin_flag=F("roles__builtin"), org_flag=F("roles__is_org_role"), sperms=none(JSONField()),
        operms=F("roles__organization_permissions"), uperms=F("roles__user_permissions"),
    ).order_by().values_list(*columns)
    groups = Group.objects.filter(auth_group__user=user).annotate(
        kind=tag("group"), ref=F("id"), org=none(UUIDField()), rname=none(CharField()),
        builtin_flag=none(BooleanField()), org_flag=none(BooleanField()), sperms=none(JSONField()),
        operms=none(JSONField()), uperms=none(JSONField())).order_by().values_list(*columns)
    rows = list(roles.union(memberships, groups, all=True))

    site, seen, org_member_role = [], set(), None
    explicit: dict = {}
    group_ids = set()
    for kind, ref, org, name, builtin, is_org_role, sperms, operms, uperms in rows:
        if kind == "role":
            if ref in seen:  # the OR join can repeat a role
                continue
            seen.add(ref)
            role = _RoleRow(name=name, builtin=bool(builtin), site_permissions=_json(sperms),
                            organization_permissions=_json(operms), user_permissions=_json(uperms))
            if name == builtin_roles.IMPLICIT_ORG_ROLE and role.builtin:
                org_member_role = role
            if not is_org_role:
                site.append(role)
        elif kind == "member":
            explicit.setdefault(org, [])
            if name is not None:
                explicit[org].append((name, _json(operms), _json(uperms)))
        else:
            group_ids.add(ref)
    site_perms = tuple(p for r in site for p in _perms(_site_permissions(r)))
    site_user_perms = tuple(p for r in site for p in _perms(r.user_permissions))

    org_roles, org_perms, org_user_perms = {}, {}, {}
    implicit = [] if org_member_role is None else [(org_member_role.name, org_member_role.organization_permissions,
                                                    org_member_role.user_permissions)]
    for org, org_role_rows in explicit.items():
        org_role_rows = org_role_rows + implicit
        org_roles[org] = tuple(name for name, _, _ in org_role_rows)
        org_perms[org] = tuple(p for _, perms, _ in org_role_rows for p in _perms(perms))
        org_user_perms[org] = tuple(p for _, _, perms in org_role_rows for p in _perms(perms))

    group_ids.update(org_perms)  # "Everyone" group of each organization shares its id
    scope = getattr(token, "scope", "all") if token is not None else "all"
    return Subject(user_id=user.pk, username=user.username, site_roles=tuple(r.name for r in site),
                   site_perms=site_perms, site_user_perms=site_user_perms, org_roles=org_roles,
                   org_perms=org_perms, org_user_perms=org_user_perms, group_ids=frozenset(group_ids),
                   scope=scope)


@dataclass(frozen=True)
class _RoleRow:
    """The columns of a role that building a subject reads."""

    name: str
    builtin: bool
    site_permissions: list
    organization_permissions: list
    user_permissions: list


def _json(value):
    """JSON columns read through a UNION arrive decoded on PostgreSQL, as text on SQLite."""
    if isinstance(value, str):
        return json.loads(value)
    return value or []

