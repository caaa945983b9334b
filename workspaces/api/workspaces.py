"""Workspaces: create (for a member of an organization, or for a user in the template's
organization), list with `q=` search, read (by id or owner/name), rename, and the
schedule/TTL/deadline/auto-update/favorite settings."""
from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from accounts.api.organizations import get_organization
from accounts.services import organizations as org_services
from coderportal.api.fields import RequestSerializer
from coderportal.api.views import PortalAPIView, paginate, pagination
from templates_app.models import Template, TemplateVersion
from workspaces.api import query
from workspaces.api.common import (
    RichParameterSerializer,
    bool_param,
    get_by_owner_and_name,
    get_owner,
    get_workspace,
    readable_workspaces,
)
from workspaces.api.serializers.workspaces import workspace_json, workspaces_json, workspaces_queryset
from workspaces.services import settings as settings_services
from workspaces.services import workspaces as services


class CreateWorkspaceSerializer(RequestSerializer):
    name = serializers.CharField(max_length=64)
    template_id = serializers.UUIDField(required=False, allow_null=True)
    template_version_id = serializers.UUIDField(required=False, allow_null=True)
    rich_parameter_values = RichParameterSerializer(many=True, required=False)
    autostart_schedule = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=256)
    ttl_ms = serializers.IntegerField(required=False, allow_null=True)
    automatic_updates = serializers.ChoiceField(choices=["always", "never", ""], required=False)
    template_version_preset_id = serializers.UUIDField(required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("template_id") and attrs.get("template_version_id"):
            raise serializers.ValidationError(
                {"template_version_id": ["Specify either template_id or template_version_id, not both."]})
        if not attrs.get("template_id") and not attrs.get("template_version_id"):
            raise serializers.ValidationError({"template_id": ["template_id or template_version_id is required."]})
        return attrs


def _render(view, workspace_id) -> dict:
    return workspace_json(get_workspace(view.subject, workspace_id), view.request.user.pk)


def _create(view, organization, owner):
    body = view.parse(CreateWorkspaceSerializer)
    workspace = services.create_workspace(
        actor=view.actor, organization=organization, owner=owner, name=body["name"],
        template_id=body.get("template_id"), template_version_id=body.get("template_version_id"),
        rich_parameter_values=[dict(v) for v in body.get("rich_parameter_values", [])],
        autostart_schedule=body.get("autostart_schedule") or "", ttl_ms=body.get("ttl_ms"),
        automatic_updates=body.get("automatic_updates") or "never")
    return Response(_render(view, workspace.pk), status=201)


class OrganizationMemberWorkspacesView(PortalAPIView):
    def post(self, request, organization, user):
        org = get_organization(self.subject, organization)
        return _create(self, org, get_owner(request, self.subject, user))


def _organization_of_request(subject, data):
    """Coder infers the organization from the template (or version) when the path has none."""
    if isinstance(data, dict):
        for model, key, field in ((Template, "template_id", "organization"),
                                  (TemplateVersion, "template_version_id", "organization")):
            value = data.get(key)
            if value:
                # The body was validated first: `value` is a UUID.
                row = rbac.filter_queryset(subject, "read", model.objects.select_related(field)) \
                    .filter(pk=value).first()
                if row is not None:
                    return getattr(row, field)
    return org_services.default_organization()


class UserWorkspacesView(PortalAPIView):
    def post(self, request, user):
        owner = get_owner(request, self.subject, user)
        self.parse(CreateWorkspaceSerializer)  # bad bodies are a 400 before any lookup
        return _create(self, _organization_of_request(self.subject, request.data), owner)


class WorkspacesView(PortalAPIView):
    def get(self, request):
        limit, offset = pagination(request, default_limit=0)
        qs = query.apply(readable_workspaces(self.subject), request.query_params.get("q", ""), request.user)
        count = qs.count()
        # Two steps: pick the page's ids with a narrow query (only the sort's join), then load
        # those rows with everything joined — sorting wide joined rows costs far more at scale.
        ordered = query.coder_order(qs, request.user.pk).values_list("id", flat=True)
        ids = list(paginate(ordered, limit, offset))
        rows = {w.id: w for w in workspaces_queryset().filter(id__in=ids)}
        page = [rows[i] for i in ids if i in rows]
        return Response({"workspaces": workspaces_json(page, request.user.pk), "count": count})


class PatchWorkspaceSerializer(RequestSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=64)


class WorkspaceView(PortalAPIView):
    def get(self, request, workspace_id):
        include_deleted = bool_param(request, "include_deleted")
        workspace = get_workspace(self.subject, workspace_id)
        if workspace.deleted and not include_deleted:
            return Response({"message": f"Workspace {workspace.id} was deleted, you can view this workspace by "
                                        "specifying '?include_deleted=true' and trying again."}, status=410)
        return Response(workspace_json(workspace, request.user.pk))

    def patch(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        body = self.parse(PatchWorkspaceSerializer)
        if body.get("name"):
            settings_services.rename(workspace, actor=self.actor, name=body["name"])
        else:
            rbac.authorize(self.subject, "update", workspace)
        return Response(status=204)


class WorkspaceByOwnerAndNameView(PortalAPIView):
    def get(self, request, user, name):
        workspace = get_by_owner_and_name(request, self.subject, user, name,
                                          include_deleted=bool_param(request, "include_deleted"))
        return Response(workspace_json(workspace, request.user.pk))


# --- settings -------------------------------------------------------------------------------
class AutostartSerializer(RequestSerializer):
    schedule = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=256)


class TTLSerializer(RequestSerializer):
    ttl_ms = serializers.IntegerField(required=False, allow_null=True)


class ExtendSerializer(RequestSerializer):
    deadline = serializers.DateTimeField()


class AutoUpdatesSerializer(RequestSerializer):
    automatic_updates = serializers.ChoiceField(choices=["always", "never"])


class AutostartView(PortalAPIView):
    def put(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        body = self.parse(AutostartSerializer)
        settings_services.set_autostart(workspace, actor=self.actor, schedule=body.get("schedule"))
        return Response(status=204)


class TTLView(PortalAPIView):
    def put(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        body = self.parse(TTLSerializer)
        settings_services.set_ttl(workspace, actor=self.actor, ttl_ms=body.get("ttl_ms"))
        return Response(status=204)


class ExtendView(PortalAPIView):
    def put(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        body = self.parse(ExtendSerializer)
        build = settings_services.extend(workspace, actor=self.actor, deadline=body["deadline"])
        deadline = build.deadline.isoformat().replace("+00:00", "Z")
        return Response({"message": f"Deadline updated to {deadline}."})


class AutoUpdatesView(PortalAPIView):
    def put(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        body = self.parse(AutoUpdatesSerializer)
        settings_services.set_automatic_updates(workspace, actor=self.actor,
                                                automatic_updates=body["automatic_updates"])
        return Response(status=204)


class FavoriteView(PortalAPIView):
    def put(self, request, workspace_id):
        settings_services.set_favorite(get_workspace(self.subject, workspace_id), actor=self.actor, favorite=True)
        return Response(status=204)

    def delete(self, request, workspace_id):
        settings_services.set_favorite(get_workspace(self.subject, workspace_id), actor=self.actor, favorite=False)
        return Response(status=204)
