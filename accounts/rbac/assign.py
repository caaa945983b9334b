"""Who may assign which role: Coder's assign matrix plus custom roles (owners and org admins)."""
from __future__ import annotations

from . import builtin_roles
from .subject import Subject


def _granted_by(role_names) -> set[str]:
    names: set[str] = set()
    for role in role_names:
        names |= builtin_roles.ASSIGNABLE_BY.get(role, set())
    return names


def can_assign(subject: Subject, role_name: str, organization_id=None, *, custom: bool = False) -> bool:
    """May `subject` grant or revoke `role_name` (site role, or org role in `organization_id`)?"""
    if subject.is_system:
        return True
    if builtin_roles.OWNER in subject.site_roles:
        return True
    if organization_id is None:
        return role_name in _granted_by(subject.site_roles)
    if builtin_roles.USER_ADMIN in subject.site_roles and role_name in _granted_by([builtin_roles.ORG_USER_ADMIN]):
        return True
    org_roles = subject.org_roles.get(organization_id, ())
    if custom:
        return builtin_roles.ORG_ADMIN in org_roles
    return role_name in _granted_by(org_roles)


def assignable_roles(subject: Subject, roles, organization_id=None) -> list[tuple[object, bool]]:
    """Pair each role with whether the subject may assign it (for `/users/roles` etc.)."""
    return [(r, can_assign(subject, r.name, organization_id, custom=not r.builtin)) for r in roles]
