"""`/users/{user}/keys...` views: session keys, named tokens, token config, expiry and deletion.
The plaintext key appears in exactly one response: the one that created it."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.api.serializers.users import (
    APIKeySerializer,
    APIKeyWithOwnerSerializer,
    CreateTokenRequest,
    GenerateAPIKeyResponse,
    TokenConfigResponse,
)
from accounts.api.users import AccountsAPIView
from accounts.services import tokens as services

TRUE = {"1", "true", "yes"}


class SessionKeysView(AccountsAPIView):
    @extend_schema(request=None, responses={201: GenerateAPIKeyResponse}, summary="Create new session key")
    def post(self, request, user):
        _, plaintext = services.create_session_key(self.target_user(user), actor=self.actor)
        return Response({"key": plaintext}, status=201)


class TokensView(AccountsAPIView):
    @extend_schema(responses=APIKeyWithOwnerSerializer(many=True), summary="Get user tokens")
    def get(self, request, user):
        params = request.query_params
        keys = services.list_tokens(self.target_user(user), actor=self.actor,
                                    include_expired=params.get("include_expired", "").lower() in TRUE,
                                    include_all=params.get("include_all", "").lower() in TRUE)
        return Response(APIKeyWithOwnerSerializer(keys, many=True).data)

    @extend_schema(request=CreateTokenRequest, responses={201: GenerateAPIKeyResponse}, summary="Create token API key")
    def post(self, request, user):
        target = self.target_user(user)
        body = self.parse(CreateTokenRequest)
        _, plaintext = services.create_token(target, actor=self.actor, token_name=body["token_name"],
                                             lifetime_ns=body["lifetime"], scope=body["scope"])
        return Response({"key": plaintext}, status=201)


class TokenConfigView(AccountsAPIView):
    @extend_schema(responses=TokenConfigResponse, summary="Get token config")
    def get(self, request, user):
        self.target_user(user)
        return Response({"max_token_lifetime": services.max_token_lifetime_seconds() * services.NANOSECONDS})


class TokenByNameView(AccountsAPIView):
    @extend_schema(responses=APIKeySerializer, summary="Get API key by token name")
    def get(self, request, user, keyname):
        key = services.get_token_by_name(self.target_user(user), keyname, actor=self.actor)
        return Response(APIKeySerializer(key).data)


class KeyView(AccountsAPIView):
    @extend_schema(responses=APIKeySerializer, summary="Get API key by ID")
    def get(self, request, user, keyid):
        return Response(APIKeySerializer(services.get_key(self.target_user(user), keyid, actor=self.actor)).data)

    @extend_schema(responses={204: None}, summary="Delete API key")
    def delete(self, request, user, keyid):
        services.delete_key(services.get_key(self.target_user(user), keyid, actor=self.actor), actor=self.actor)
        return Response(status=204)


class ExpireKeyView(AccountsAPIView):
    @extend_schema(request=None, responses={204: None}, summary="Expire API key")
    def put(self, request, user, keyid):
        services.expire_key(services.get_key(self.target_user(user), keyid, actor=self.actor), actor=self.actor)
        return Response(status=204)
