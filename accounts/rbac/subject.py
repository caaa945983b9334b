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
    from django.db import connection

    from accounts.models import User

    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    user_id = User._meta.pk.get_db_prep_value(user.pk, connection)
    implicit_names = (builtin_roles.IMPLICIT_SITE_ROLE, builtin_roles.IMPLICIT_ORG_ROLE)
    with connection.cursor() as cursor:
        cursor.execute(_SUBJECT_SQL, [user_id, *implicit_names, user_id, user_id])
        rows = cursor.fetchall()

    site, seen, org_member_role = [], set(), None
    explicit: dict = {}
    group_ids = set()
    for kind, ref, org, name, builtin, is_org_role, sperms, operms, uperms in rows:
        ref, org = _uuid(ref), _uuid(org)
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


# Written by hand rather than through the ORM: compiling the three-armed query was a third of the
# CPU of an authenticated request (py-spy, bench/README.md); the SQL is the same on SQLite and
# PostgreSQL. Arms: site roles of the user plus the two implicit built-in roles; each membership
# with its explicit roles (NULL role for none); the user's groups.
_SUBJECT_SQL = """
SELECT 'role', r.id, NULL, r.name, r.builtin, r.is_org_role, r.site_permissions, r.organization_permissions,
       r.user_permissions
  FROM accounts_role r LEFT OUTER JOIN accounts_user_site_roles sr ON r.id = sr.role_id
 WHERE sr.user_id = %s OR (r.name IN (%s, %s) AND r.organization_id IS NULL)
UNION ALL
SELECT 'member', NULL, m.organization_id, r.name, r.builtin, r.is_org_role, NULL, r.organization_permissions,
       r.user_permissions
  FROM accounts_organizationmember m
  LEFT OUTER JOIN accounts_organizationmember_roles mr ON m.id = mr.organizationmember_id
  LEFT OUTER JOIN accounts_role r ON mr.role_id = r.id
 WHERE m.user_id = %s
UNION ALL
SELECT 'group', g.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM accounts_group g INNER JOIN accounts_user_groups ug ON g.auth_group_id = ug.group_id
 WHERE ug.user_id = %s
"""


def _uuid(value):
    """UUID columns arrive as uuid.UUID on PostgreSQL, as 32 hex digits on SQLite."""
    return uuid.UUID(value) if isinstance(value, str) else value


def _json(value):
    """JSON columns arrive as text (SQLite, and PostgreSQL through Django's loader) or decoded."""
    if isinstance(value, str):
        return json.loads(value)
    return value or []

