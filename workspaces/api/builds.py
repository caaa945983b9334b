"""Workspace builds: list and create (start/stop/delete) for a workspace, read by id or by
owner/name/number, logs (JSON, SSE, websocket), parameters, resources, Terraform state and
cancel."""
from __future__ import annotations

import base64
import binascii
import json

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from coderportal.api.fields import RequestSerializer
from coderportal.api.views import PortalAPIView, paginate, pagination
from templates_app.api import logs
from workspaces.api.common import (
    RichParameterSerializer,
    get_build,
    get_by_owner_and_name,
    get_workspace,
)
from workspaces.api.serializers.agents import resource_json
from workspaces.api.serializers.builds import build_json, builds_json, builds_queryset
from workspaces.models import WorkspaceBuild
from workspaces.services import builds as services

MAX_BUILD_NUMBER = 2**31 - 1


class CreateBuildSerializer(RequestSerializer):
    transition = serializers.ChoiceField(choices=["start", "stop", "delete"])
    template_version_id = serializers.UUIDField(required=False, allow_null=True)
    rich_parameter_values = RichParameterSerializer(many=True, required=False)
    orphan = serializers.BooleanField(required=False, default=False)
    log_level = serializers.ChoiceField(choices=["", "debug"], required=False, default="")
    # Accepted for compatibility with Coder clients; not acted upon.
    dry_run = serializers.BooleanField(required=False, default=False)
    state = serializers.JSONField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=64)
    template_version_preset_id = serializers.UUIDField(required=False, allow_null=True)


class WorkspaceBuildsView(PortalAPIView):
    def get(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        limit, offset = pagination(request)
        qs = builds_queryset().filter(workspace=workspace)
        since = request.query_params.get("since")
        if since:
            parsed = serializers.DateTimeField().to_internal_value(since) if since else None
            qs = qs.filter(created_at__gte=parsed)
        page = paginate(qs.order_by("-build_number"), limit, offset)
        return Response(builds_json(page, workspace))

    def post(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        body = self.parse(CreateBuildSerializer)
        build = services.request_build(
            workspace, actor=self.actor, transition=body["transition"],
            template_version_id=body.get("template_version_id"),
            rich_parameter_values=[dict(v) for v in body.get("rich_parameter_values", [])],
            orphan=body["orphan"], log_level=body["log_level"])
        return Response(build_json(get_build(self.subject, build.pk)), status=201)


class BuildByNumberView(PortalAPIView):
    def get(self, request, user, name, build_number):
        workspace = get_by_owner_and_name(request, self.subject, user, name)
        if build_number > MAX_BUILD_NUMBER:  # beyond the column's range: no such build
            raise rbac.NotFound()
        build = builds_queryset().filter(workspace=workspace, build_number=build_number).first()
        if build is None:
            raise rbac.NotFound()
        return Response(build_json(build, workspace))


class BuildView(PortalAPIView):
    def get(self, request, build_id):
        return Response(build_json(get_build(self.subject, build_id)))


class BuildParametersView(PortalAPIView):
    def get(self, request, build_id):
        build = get_build(self.subject, build_id)
        return Response([{"name": p.name, "value": p.value} for p in build.parameters.all()])


class BuildResourcesView(PortalAPIView):
    def get(self, request, build_id):
        build = get_build(self.subject, build_id)
        return Response([resource_json(r, build.workspace) for r in build.resources.all()])


class CancelBuildView(PortalAPIView):
    def patch(self, request, build_id):
        services.cancel_build(get_build(self.subject, build_id), actor=self.actor)
        return Response({"message": "Job has been marked as canceled..."})


def _state_from_body(raw: bytes) -> bytes:
    """Coder's SDK sends {"state": <base64>}; a raw Terraform state JSON is accepted as is."""
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise serializers.ValidationError({"state": ["Body must be a JSON Terraform state."]}) from None
    if isinstance(data, dict) and set(data) == {"state"}:
        if not isinstance(data["state"], str):
            raise serializers.ValidationError({"state": ["Must be base64-encoded bytes."]})
        try:
            return base64.b64decode(data["state"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"state": ["Must be base64-encoded bytes."]}) from None
    if not isinstance(data, dict):
        raise serializers.ValidationError({"state": ["Body must be a JSON Terraform state."]})
    return raw


class BuildStateView(PortalAPIView):
    def get(self, request, build_id):
        state = services.read_state(get_build(self.subject, build_id), actor=self.actor)
        return HttpResponse(state, content_type="application/json")

    def put(self, request, build_id):
        build = get_build(self.subject, build_id)
        services.write_state(build, _state_from_body(request.body), actor=self.actor)
        return Response(status=204)


class BuildLogsView(logs.JobLogsView):
    def get_job(self, build_id):
        return get_build(self.subject, build_id).job


class BuildLogsConsumer(logs.JobLogsConsumer):
    def get_job_id(self, subject, build_id):
        build = rbac.filter_queryset(subject, "read", WorkspaceBuild.objects.all()).filter(pk=build_id).first()
        return build.job_id if build else None
