"""The base API view: thin views get `self.subject` (RBAC) and `self.actor` (audit context)."""
from __future__ import annotations

import uuid

from rest_framework import serializers
from rest_framework.views import APIView

from accounts import rbac
from accounts.services.audit import Actor
from coderportal.api.fields import RequestSerializer


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class PortalAPIView(APIView):
    @property
    def subject(self) -> rbac.Subject:
        return rbac.request_subject(self.request)

    @property
    def actor(self) -> Actor:
        request = self.request
        if not hasattr(request, "_actor"):
            request._actor = Actor(
                user=request.user if request.user.is_authenticated else None,
                subject=self.subject,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                request_id=request.META.get("HTTP_X_REQUEST_ID") or str(uuid.uuid4()),
            )
        return request._actor

    def parse(self, serializer_class, data=None, **kwargs) -> dict:
        """Validate a request body; raises 400 with per-field validations on bad input."""
        # Only request serializers know that `null` in an optional field means "absent".
        if not issubclass(serializer_class, RequestSerializer):
            raise TypeError(f"{serializer_class.__name__} must derive from RequestSerializer")
        data = self.request.data if data is None else data
        if not isinstance(data, dict):
            raise serializers.ValidationError({"": ["Request body must be a JSON object."]})
        serializer = serializer_class(data=data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


MAX_PAGE_PARAM = 2**31 - 1  # larger values only overflow database integer types


def pagination(request, default_limit: int = 0, max_limit: int = 1000) -> tuple[int, int]:
    """`limit`/`offset` query parameters, validated; limit 0 means no limit."""
    errors = {}
    values = {}
    for name, default in (("limit", default_limit), ("offset", 0)):
        raw = request.query_params.get(name, "")
        try:
            values[name] = int(raw) if raw != "" else default
            if not 0 <= values[name] <= MAX_PAGE_PARAM:
                raise ValueError
        except ValueError:
            errors[name] = [f"Query param {name!r} must be an integer from 0 to {MAX_PAGE_PARAM}."]
    if errors:
        raise serializers.ValidationError(errors)
    return min(values["limit"], max_limit) if values["limit"] else 0, values["offset"]


def paginate(queryset, limit: int, offset: int):
    return queryset[offset:offset + limit] if limit else queryset[offset:]
