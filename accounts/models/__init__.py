"""Identity and tenancy models: users, organizations, memberships, groups, roles, API keys, audit."""
from .apikeys import APIKey
from .audit import AuditLog
from .organizations import Group, Organization, OrganizationMember
from .roles import Role
from .users import User

__all__ = ["APIKey", "AuditLog", "Group", "Organization", "OrganizationMember", "Role", "User"]
