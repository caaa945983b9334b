"""Request bodies and Coder-shaped responses for organizations, members, roles, groups and
authcheck (codersdk.Organization, OrganizationMember[WithUserData], AssignableRoles, Role,
Group, ReducedUser, AuthorizationRequest)."""
from __future__ import annotations

from rest_framework import serializers

from accounts.rbac import builtin_roles
from coderportal.api.encoding import go_time_value
from coderportal.api.fields import RequestSerializer, StrictBooleanField, StrictCharField, StrictIntegerField


def _ts(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


# --- requests ------------------------------------------------------------------------------

class CreateOrganizationRequest(RequestSerializer):
    name = StrictCharField(max_length=64)
    display_name = StrictCharField(required=False, allow_blank=True, default="")
    description = StrictCharField(required=False, allow_blank=True, default="")
    icon = StrictCharField(required=False, allow_blank=True, default="")


class UpdateOrganizationRequest(RequestSerializer):
    name = StrictCharField(required=False, allow_blank=True)
    display_name = StrictCharField(required=False, allow_blank=True)
    description = StrictCharField(required=False, allow_blank=True, allow_null=True)
    icon = StrictCharField(required=False, allow_blank=True, allow_null=True)

    def validate(self, attrs):
        # Go's omitempty: an empty name or display name means "leave unchanged".
        return {k: v for k, v in attrs.items() if not (k in ("name", "display_name") and v == "")}


class UpdateRolesRequest(RequestSerializer):
    roles = serializers.ListField(child=StrictCharField(), allow_empty=True)


class PermissionSerializer(RequestSerializer):
    negate = StrictBooleanField(required=False, default=False)
    resource_type = StrictCharField()
    action = StrictCharField()


class RoleRequest(RequestSerializer):
    """codersdk.CustomRoleRequest; permission values are checked against the policy by the service."""

    name = StrictCharField(max_length=64)
    display_name = StrictCharField(required=False, allow_blank=True, default="")
    site_permissions = PermissionSerializer(many=True, required=False, allow_null=True, default=list)
    organization_permissions = PermissionSerializer(many=True, required=False, allow_null=True, default=list)
    user_permissions = PermissionSerializer(many=True, required=False, allow_null=True, default=list)

    def validate(self, attrs):
        for key in ("site_permissions", "organization_permissions", "user_permissions"):
            attrs[key] = [dict(p) for p in attrs.get(key) or ()]
        return attrs


class CreateGroupRequest(RequestSerializer):
    name = StrictCharField(max_length=64)
    display_name = StrictCharField(required=False, allow_blank=True, default="")
    avatar_url = StrictCharField(required=False, allow_blank=True, default="")
    quota_allowance = StrictIntegerField(required=False, default=0)


class PatchGroupRequest(RequestSerializer):
    add_users = serializers.ListField(child=StrictCharField(), required=False, allow_null=True, default=list)
    remove_users = serializers.ListField(child=StrictCharField(), required=False, allow_null=True, default=list)
    name = StrictCharField(required=False, allow_blank=True)
    display_name = StrictCharField(required=False, allow_blank=True, allow_null=True)
    avatar_url = StrictCharField(required=False, allow_blank=True, allow_null=True)
    quota_allowance = StrictIntegerField(required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("name") == "":
            attrs.pop("name")  # omitempty
        attrs["add_users"] = attrs.get("add_users") or []
        attrs["remove_users"] = attrs.get("remove_users") or []
        return attrs


class AuthorizationObjectSerializer(RequestSerializer):
    resource_type = StrictCharField()
    owner_id = StrictCharField(required=False, allow_blank=True, default="")
    organization_id = StrictCharField(required=False, allow_blank=True, default="")
    resource_id = StrictCharField(required=False, allow_blank=True, default="")
    any_org = StrictBooleanField(required=False, default=False)


class AuthorizationCheckSerializer(RequestSerializer):
    object = AuthorizationObjectSerializer()
    action = StrictCharField()


class AuthorizationRequest(RequestSerializer):
    checks = serializers.DictField(child=AuthorizationCheckSerializer())


# --- responses -----------------------------------------------------------------------------

def organization_json(org) -> dict:
    return {"id": str(org.id), "name": org.name, "display_name": org.display_name, "icon": org.icon,
            "description": org.description, "created_at": _ts(org.created_at), "updated_at": _ts(org.updated_at),
            "is_default": org.is_default}


def slim_role(role, org_id=None) -> dict:
    return {"name": role.name, "display_name": role.display_name,
            "organization_id": str(org_id) if org_id and role.is_org_role else ""}


def _explicit_site_roles(user) -> list[dict]:
    return [slim_role(r) for r in user.site_roles.all() if r.name != builtin_roles.IMPLICIT_SITE_ROLE]


def member_json(membership) -> dict:
    org_id = membership.organization_id
    return {"user_id": str(membership.user_id), "organization_id": str(org_id),
            "created_at": _ts(membership.created_at), "updated_at": _ts(membership.updated_at),
            "roles": [slim_role(r, org_id) for r in membership.roles.all()]}


def member_with_user_json(membership) -> dict:
    user = membership.user
    return {**member_json(membership), "username": user.username, "name": user.name, "email": user.email,
            "avatar_url": user.avatar_url, "status": user.status, "login_type": user.login_type,
            "last_seen_at": go_time_value(user.last_seen_at), "user_created_at": _ts(user.created_at),
            "user_updated_at": _ts(user.updated_at), "global_roles": _explicit_site_roles(user)}


def role_json(role, org_id) -> dict:
    return {"name": role.name, "display_name": role.display_name, "organization_id": str(org_id),
            "site_permissions": list(role.site_permissions or []),
            "organization_permissions": list(role.organization_permissions or []),
            "user_permissions": list(role.user_permissions or [])}


def assignable_role_json(role, assignable: bool, org_id) -> dict:
    return {**role_json(role, org_id), "assignable": assignable, "built_in": role.builtin}


def reduced_user_json(user) -> dict:
    return {"id": str(user.id), "username": user.username, "name": user.name, "email": user.email,
            "avatar_url": user.avatar_url, "created_at": _ts(user.created_at), "updated_at": _ts(user.updated_at),
            "last_seen_at": go_time_value(user.last_seen_at), "status": user.status, "login_type": user.login_type,
            "theme_preference": user.theme_preference}


def group_json(group, members, total: int) -> dict:
    org = group.organization
    return {"id": str(group.id), "name": group.name, "display_name": group.display_name,
            "avatar_url": group.avatar_url, "organization_id": str(org.id), "organization_name": org.name,
            "organization_display_name": org.display_name,
            "members": [reduced_user_json(u) for u in members], "total_member_count": total,
            "quota_allowance": group.quota_allowance, "source": group.source}
