"""Registers the accounts models with the RBAC engine (resource type, org and owner fields)."""
from __future__ import annotations

from django.db.models import Q

from accounts import rbac
from accounts.models import APIKey, AuditLog, Group, Organization, OrganizationMember, Role, User


def _group_acl(group):
    # Members of a group may read it (the "Everyone" group: every member of the organization).
    return {}, {group.id: {"read"}}


def _group_acl_q(subject, action):
    return Q(id__in=subject.group_ids) if action == "read" else Q(pk__in=[])


def _user_orgs(user):
    return frozenset(user.memberships.values_list("organization_id", flat=True))


def _users_in_orgs(org_ids):
    return Q(memberships__organization_id__in=list(org_ids))


def register_all() -> None:
    rbac.register(User, rbac.Descriptor("user", owner_field="id", member_orgs_for=_user_orgs,
                                        member_orgs_q=_users_in_orgs))
    rbac.register(Organization, rbac.Descriptor("organization", org_field="id"))
    rbac.register(OrganizationMember, rbac.Descriptor("organization_member", org_field="organization_id",
                                                      owner_field="user_id"))
    rbac.register(Group, rbac.Descriptor("group", org_field="organization_id", acl_for=_group_acl,
                                         acl_q=_group_acl_q))
    rbac.register(Role, rbac.Descriptor("assign_org_role", org_field="organization_id"))
    rbac.register(APIKey, rbac.Descriptor("api_key", owner_field="user_id"))
    rbac.register(AuditLog, rbac.Descriptor("audit_log", org_field="organization_id"))
