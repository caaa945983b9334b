"""`/users` and `/users/{user}/...` views (except keys): list, create, read, delete, profile,
status, password, login type, roles and organizations. Views parse, call a service, render."""
from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from accounts.api.serializers.users import (
    AssignableRoleSerializer,
    CreateUserRequest,
    GetUsersResponse,
    LoginTypeResponse,
    MessageResponse,
    UpdatePasswordRequest,
    UpdateProfileRequest,
    UpdateRolesRequest,
    UserOrganizationSerializer,
    UserRolesResponse,
    UserSerializer,
)
from accounts.models import APIKey, User
from accounts.models.users import LoginType, UserStatus
from accounts.services import users as services
from coderportal.api.search import parse_query
from coderportal.api.views import PortalAPIView, paginate, pagination

BODY_METHODS = {"POST", "PUT", "PATCH"}


class AccountsAPIView(PortalAPIView):
    def initial(self, request, *args, **kwargs):
        # DRF's JSON parser reads the raw stream, which skips Django's body size limit;
        # reading `body` first enforces DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig -> 413).
        if request.method in BODY_METHODS:
            request._request.body  # noqa: B018 - read for its check
        super().initial(request, *args, **kwargs)
        # PostgreSQL rejects NUL in text: refuse it here instead of failing inside a query.
        if any("\x00" in str(value) for value in kwargs.values()):
            raise rbac.NotFound()
        if any("\x00" in value for _, values in request.query_params.lists() for value in values):
            raise serializers.ValidationError({"q": ["Query parameters must not contain NUL characters."]})

    def target_user(self, ident: str) -> User:
        return services.get_user(ident, actor=self.actor)


def user_json(user: User) -> dict:
    return UserSerializer(user).data


def after_id(request) -> uuid.UUID | None:
    raw = request.query_params.get("after_id", "")
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise serializers.ValidationError({"after_id": ["Must be a UUID."]}) from None


def refreshed(user: User) -> User:
    return services.with_relations(User.objects.filter(pk=user.pk)).get()


class UsersView(AccountsAPIView):
    @extend_schema(responses=GetUsersResponse, summary="Get users")
    def get(self, request):
        terms = parse_query(request.query_params.get("q", ""), services.SEARCH_KEYS, default_key="search")
        limit, offset = pagination(request)
        users = services.search_users(actor=self.actor, terms=terms, after_id=after_id(request))
        count = users.count()
        return Response({"users": UserSerializer(paginate(users, limit, offset), many=True).data, "count": count})

    @extend_schema(request=CreateUserRequest, responses={201: UserSerializer}, summary="Create new user")
    def post(self, request):
        body = self.parse(CreateUserRequest)
        user = services.create_user(
            actor=self.actor, username=body["username"], email=body["email"], name=body["name"],
            password=body["password"] or None, login_type=body["login_type"] or LoginType.PASSWORD,
            status=body["user_status"] or UserStatus.DORMANT, organization_ids=body["organization_ids"])
        return Response(user_json(refreshed(user)), status=201)


class UserView(AccountsAPIView):
    @extend_schema(responses=UserSerializer, summary="Get user by name")
    def get(self, request, user):
        return Response(user_json(self.target_user(user)))

    @extend_schema(responses=MessageResponse, summary="Delete user")
    def delete(self, request, user):
        services.delete_user(self.target_user(user), actor=self.actor)
        return Response({"message": "User has been deleted!"})


class UserProfileView(AccountsAPIView):
    @extend_schema(request=UpdateProfileRequest, responses=UserSerializer, summary="Update user profile")
    def put(self, request, user):
        target = self.target_user(user)
        body = self.parse(UpdateProfileRequest)
        target = services.update_profile(target, actor=self.actor, username=body["username"], name=body.get("name"))
        return Response(user_json(refreshed(target)))


class UserStatusView(AccountsAPIView):
    status_value = UserStatus.ACTIVE

    @extend_schema(request=None, responses=UserSerializer, summary="Suspend or activate user account")
    def put(self, request, user):
        target = services.set_status(self.target_user(user), self.status_value, actor=self.actor)
        return Response(user_json(refreshed(target)))


class SuspendUserView(UserStatusView):
    status_value = UserStatus.SUSPENDED


class UserPasswordView(AccountsAPIView):
    @extend_schema(request=UpdatePasswordRequest, responses={204: None}, summary="Update user password")
    def put(self, request, user):
        target = self.target_user(user)
        body = self.parse(UpdatePasswordRequest)
        current = request.auth if isinstance(request.auth, APIKey) else None
        services.change_password(target, actor=self.actor, password=body["password"],
                                 old_password=body["old_password"], current_key_id=getattr(current, "pk", None))
        return Response(status=204)


class UserLoginTypeView(AccountsAPIView):
    @extend_schema(responses=LoginTypeResponse, summary="Get user login type")
    def get(self, request, user):
        return Response({"login_type": services.login_type(self.target_user(user), actor=self.actor)})


class UserRolesView(AccountsAPIView):
    @extend_schema(responses=UserRolesResponse, summary="Get user roles")
    def get(self, request, user):
        return Response(services.user_roles(self.target_user(user), actor=self.actor))

    @extend_schema(request=UpdateRolesRequest, responses=UserSerializer, summary="Assign role to user")
    def put(self, request, user):
        target = self.target_user(user)
        body = self.parse(UpdateRolesRequest)
        return Response(user_json(services.set_site_roles(target, body["roles"], actor=self.actor)))


class SiteRolesView(AccountsAPIView):
    @extend_schema(responses=AssignableRoleSerializer(many=True), summary="Get site member roles")
    def get(self, request):
        roles = []
        for role, assignable in services.assignable_site_roles(actor=self.actor):
            role.assignable = assignable
            roles.append(role)
        return Response(AssignableRoleSerializer(roles, many=True).data)


class UserOrganizationsView(AccountsAPIView):
    @extend_schema(responses=UserOrganizationSerializer(many=True), summary="Get organizations by user")
    def get(self, request, user):
        orgs = services.user_organizations(self.target_user(user), actor=self.actor)
        return Response(UserOrganizationSerializer(orgs, many=True).data)


class UserOrganizationByNameView(AccountsAPIView):
    @extend_schema(responses=UserOrganizationSerializer, summary="Get organization by user and organization name")
    def get(self, request, user, organizationname):
        org = services.user_organizations(self.target_user(user), actor=self.actor).filter(
            name__iexact=organizationname).first()
        if org is None:
            raise rbac.NotFound()
        return Response(UserOrganizationSerializer(org).data)
