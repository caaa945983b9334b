"""Serializers for users, authentication and API keys, in Coder's JSON shapes.

Request fields are strictly typed as Go's JSON decoder is: a number is not a string, a
string is not a number or a UUID. Responses read only prefetched relations (see
`accounts.services.users.with_relations`), so lists cost a constant number of queries.
"""
from __future__ import annotations

import uuid

from rest_framework import serializers

from accounts.models.apikeys import APIKeyScope
from accounts.models.users import LoginType
from coderportal.api.encoding import GoTimeField
from coderportal.api.fields import RequestSerializer, StrictCharField, StrictIntegerField, StrictUUIDField

PASSWORD_MAX = 1024  # hashing is deliberately slow: bound the work a request can ask for


def _password(**kw):
    return StrictCharField(max_length=PASSWORD_MAX, trim_whitespace=False, **kw)


# --- requests -----------------------------------------------------------------------------
class CreateFirstUserRequest(RequestSerializer):
    email = StrictCharField(max_length=254)
    username = StrictCharField(max_length=64)
    name = StrictCharField(max_length=256, required=False, allow_blank=True, default="")
    password = _password()


class LoginWithPasswordRequest(RequestSerializer):
    email = StrictCharField(max_length=254)
    password = _password()


class CreateUserRequest(RequestSerializer):
    email = StrictCharField(max_length=254)
    username = StrictCharField(max_length=64)
    name = StrictCharField(max_length=256, required=False, allow_blank=True, default="")
    password = _password(required=False, allow_blank=True, default="")
    login_type = serializers.ChoiceField(choices=[""] + LoginType.values, required=False, allow_blank=True,
                                         default="")
    user_status = serializers.ChoiceField(choices=["active", "dormant", "suspended"], required=False,
                                          allow_null=True, default=None)
    organization_ids = serializers.ListField(child=StrictUUIDField(), required=False, default=list,
                                             max_length=1000)


class UpdateProfileRequest(RequestSerializer):
    username = StrictCharField(max_length=64)
    name = StrictCharField(max_length=256, required=False, allow_blank=True)


class UpdatePasswordRequest(RequestSerializer):
    old_password = _password(required=False, allow_blank=True, default="")
    password = _password()


class UpdateRolesRequest(RequestSerializer):
    roles = serializers.ListField(child=StrictCharField(max_length=64), allow_empty=True, max_length=100)


class CreateTokenRequest(RequestSerializer):
    token_name = StrictCharField(max_length=256, required=False, allow_blank=True, default="")
    # Go's time.Duration in JSON: an integer number of nanoseconds.
    lifetime = StrictIntegerField(required=False, default=0, min_value=-(2**63), max_value=2**63 - 1)
    scope = serializers.ChoiceField(choices=[""] + APIKeyScope.values, required=False, allow_blank=True,
                                    default="")


# --- responses ----------------------------------------------------------------------------
class SlimRoleSerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    organization_id = serializers.SerializerMethodField()

    def get_organization_id(self, role) -> str:
        return str(role.organization_id) if role.organization_id else ""


class UserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    avatar_url = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    last_seen_at = GoTimeField()  # time.Time in Coder: zero time until the first login
    status = serializers.CharField()
    login_type = serializers.CharField()
    theme_preference = serializers.CharField()
    organization_ids = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()

    def get_organization_ids(self, user) -> list[uuid.UUID]:
        return [str(m.organization_id) for m in user.memberships.all()]

    def get_roles(self, user) -> list[dict]:
        # Site roles only, as Coder; the implicit `member` role is never listed.
        roles = sorted(user.site_roles.all(), key=lambda r: r.name)
        return SlimRoleSerializer(roles, many=True).data


class PermissionSerializer(serializers.Serializer):
    negate = serializers.BooleanField(default=False)
    resource_type = serializers.CharField()
    action = serializers.CharField()


class AssignableRoleSerializer(serializers.Serializer):
    """A Role carrying an `assignable` attribute set by the view (per the asking subject)."""

    name = serializers.CharField()
    display_name = serializers.CharField()
    organization_id = serializers.SerializerMethodField()
    site_permissions = PermissionSerializer(many=True)
    organization_permissions = PermissionSerializer(many=True)
    user_permissions = PermissionSerializer(many=True)
    assignable = serializers.BooleanField()
    built_in = serializers.BooleanField(source="builtin")

    def get_organization_id(self, role) -> str:
        return str(role.organization_id) if role.organization_id else ""


class APIKeySerializer(serializers.Serializer):
    """Coder's APIKey: never the secret or its hash."""

    id = serializers.CharField()
    user_id = serializers.UUIDField()
    last_used = GoTimeField()  # time.Time in Coder: zero time until first used
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    login_type = serializers.CharField()
    scope = serializers.CharField()
    scopes = serializers.SerializerMethodField()
    token_name = serializers.CharField()
    lifetime_seconds = serializers.IntegerField()

    def get_scopes(self, key) -> list[str]:
        return [key.scope]


class APIKeyWithOwnerSerializer(APIKeySerializer):
    username = serializers.CharField(source="user.username")


class UserOrganizationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    is_default = serializers.BooleanField()


# --- response envelopes (for the OpenAPI schema) ---------------------------------------
class GetUsersResponse(serializers.Serializer):
    users = UserSerializer(many=True)
    count = serializers.IntegerField()


class MessageResponse(serializers.Serializer):
    message = serializers.CharField()
    detail = serializers.CharField(required=False)


class CreateFirstUserResponse(serializers.Serializer):
    user_id = serializers.UUIDField()
    organization_id = serializers.UUIDField()


class LoginWithPasswordResponse(serializers.Serializer):
    session_token = serializers.CharField()


class GenerateAPIKeyResponse(serializers.Serializer):
    key = serializers.CharField()


class TokenConfigResponse(serializers.Serializer):
    max_token_lifetime = serializers.IntegerField(help_text="Nanoseconds, as Go's time.Duration.")


class LoginTypeResponse(serializers.Serializer):
    login_type = serializers.CharField()


class UserRolesResponse(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField())
    organization_roles = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class AuthMethodsResponse(serializers.Serializer):
    terms_of_service_url = serializers.CharField()
    password = serializers.DictField()
    github = serializers.DictField()
    oidc = serializers.DictField()
