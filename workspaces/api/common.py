"""Lookups shared by the workspaces API views: authorized workspaces, builds, owners."""
from __future__ import annotations

from rest_framework import serializers

from accounts import rbac
from accounts.api.members import find_user
from coderportal.api.fields import RequestSerializer
from workspaces.api.serializers.builds import builds_queryset
from workspaces.api.serializers.workspaces import workspaces_queryset
from workspaces.models import Workspace, WorkspaceBuild


class RichParameterSerializer(RequestSerializer):
    name = serializers.CharField(max_length=256)
    value = serializers.CharField(allow_blank=True, max_length=65536)


def bool_param(request, name: str) -> bool:
    raw = request.query_params.get(name, "").lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise serializers.ValidationError({name: ["Must be true or false."]})


def readable_workspaces(subject):
    return rbac.filter_queryset(subject, "read", workspaces_queryset())


def get_workspace(subject, workspace_id) -> Workspace:
    """A readable workspace (deleted ones included: callers decide what that means)."""
    workspace = readable_workspaces(subject).filter(pk=workspace_id).first()
    if workspace is None:
        raise rbac.NotFound()
    return workspace


def get_owner(request, subject, value: str):
    user = find_user(request, value)
    if user is None or not rbac.can(subject, "read", user):
        raise rbac.NotFound()
    return user


def get_by_owner_and_name(request, subject, user_value: str, name: str, include_deleted=False) -> Workspace:
    owner = get_owner(request, subject, user_value)
    qs = readable_workspaces(subject).filter(owner=owner, name__iexact=name)
    live = qs.filter(deleted=False).first()
    if live is not None:
        return live
    if include_deleted:
        # The most recently deleted one of that name.
        deleted = qs.filter(deleted=True).order_by("-updated_at").first()
        if deleted is not None:
            return deleted
    raise rbac.NotFound()


def get_build(subject, build_id) -> WorkspaceBuild:
    build = rbac.filter_queryset(subject, "read", builds_queryset()).filter(pk=build_id).first()
    if build is None:
        raise rbac.NotFound()
    return build
