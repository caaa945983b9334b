"""Authentication views: first-user bootstrap, password login/logout, available auth methods.

Login and bootstrap run without authentication classes: a stale or expired token (say, an
old `coder_session_token` cookie) must never stop someone from logging in again.
"""
from __future__ import annotations

from django.contrib.auth import logout as django_logout
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.api.serializers.users import (
    AuthMethodsResponse,
    CreateFirstUserRequest,
    CreateFirstUserResponse,
    LoginWithPasswordRequest,
    LoginWithPasswordResponse,
    MessageResponse,
)
from accounts.api.users import AccountsAPIView
from accounts.models import APIKey
from accounts.services import auth as auth_service
from accounts.services import users as user_service
from coderportal.api.authentication import SESSION_TOKEN_COOKIE, session_cookie_settings
from coderportal.api.permissions import AllowAny
from coderportal.api.throttling import APIRateThrottle, LoginRateThrottle


class FirstUserView(AccountsAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: MessageResponse, 404: MessageResponse}, summary="Check initial user created")
    def get(self, request):
        if not user_service.has_first_user():
            return Response({"message": "The initial user has not been created!"}, status=404)
        return Response({"message": "The initial user has already been created!"})

    @extend_schema(request=CreateFirstUserRequest, responses={201: CreateFirstUserResponse},
                   summary="Create initial user")
    def post(self, request):
        body = self.parse(CreateFirstUserRequest)
        user, org = user_service.create_first_user(username=body["username"], email=body["email"],
                                                   password=body["password"], name=body["name"], actor=self.actor)
        return Response({"user_id": str(user.id), "organization_id": str(org.id)}, status=201)


class LoginView(AccountsAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle, APIRateThrottle]

    @extend_schema(request=LoginWithPasswordRequest, responses={201: LoginWithPasswordResponse}, summary="Log in user")
    def post(self, request):
        body = self.parse(LoginWithPasswordRequest)
        key, token = auth_service.login(body["email"], body["password"], actor=self.actor)
        response = Response({"session_token": token}, status=201)
        response.set_cookie(SESSION_TOKEN_COOKIE, token, max_age=key.lifetime_seconds, path="/",
                            **session_cookie_settings())
        return response


class LogoutView(AccountsAPIView):
    @extend_schema(request=None, responses=MessageResponse, summary="Log out user")
    def post(self, request):
        key = request.auth if isinstance(request.auth, APIKey) else None
        auth_service.logout(actor=self.actor, key=key)
        if key is None:  # a Django session (admin / SSO browser login)
            django_logout(request._request)
        response = Response({"message": "Logged out!"})
        response.delete_cookie(SESSION_TOKEN_COOKIE, path="/")
        return response


class AuthMethodsView(AccountsAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=AuthMethodsResponse, summary="Get authentication methods")
    def get(self, request):
        return Response(auth_service.auth_methods())
