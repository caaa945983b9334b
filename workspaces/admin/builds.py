"""Read-only workspace build admin: the build, its parameters and resources, its logs live
(a few lines of JS polling the JSON logs endpoint) and, for those allowed to read Terraform
state (template administrators), a state download through `services.builds.read_state`."""
from __future__ import annotations

from django.contrib import admin
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts import rbac
from accounts.admin.mixins import RbacAdminMixin, ReadOnlyAdminMixin, actor_for
from templates_app.admin.common import job_logs_widget
from workspaces.api.serializers.builds import workspace_status
from workspaces.models import WorkspaceBuild
from workspaces.services import builds as build_services


@admin.register(WorkspaceBuild)
class WorkspaceBuildAdmin(ReadOnlyAdminMixin, RbacAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "workspace", "transition", "status", "initiator", "created_at")
    list_filter = ("transition", "reason")
    search_fields = ("workspace__name", "workspace__owner__username")
    list_select_related = ("workspace__owner", "job", "initiator")
    fields = ("workspace", "build_number", "transition", "status", "reason", "initiator", "template_version",
              "orphan", "deadline", "max_deadline", "daily_cost", "parameters", "resources", "error", "state",
              "logs")
    readonly_fields = fields

    @admin.display(description="status")
    def status(self, obj):
        return workspace_status(obj.job.status, obj.transition)

    @admin.display(description="error")
    def error(self, obj):
        return obj.job.error or "—"

    @admin.display(description="parameters")
    def parameters(self, obj):
        rows = [(p.name, p.value) for p in obj.parameters.all()]
        return format_html_join("", "<div><code>{}</code> = {}</div>", rows) if rows else "—"

    @admin.display(description="resources")
    def resources(self, obj):
        rows = [(r.type, r.name, ", ".join(a.name for a in r.agents.all()) or "no agent")
                for r in obj.resources.prefetch_related("agents")]
        return format_html_join("", "<div>{}.{} ({})</div>", rows) if rows else "—"

    @admin.display(description="Terraform state")
    def state(self, obj):
        if not getattr(obj, "viewer_may_read_state", False):
            return "Only template administrators may read the state."
        url = reverse("admin:workspaces_workspacebuild_state", args=[obj.pk])
        return format_html('<a href="{}">Download terraform.tfstate</a> ({} bytes)', url,
                           len(bytes(obj.provisioner_state)))

    @admin.display(description="logs")
    def logs(self, obj):
        return job_logs_widget(f"/api/v2/workspacebuilds/{obj.pk}/logs", obj.job)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        # The state field needs the viewer's permission; the object is this request's own.
        obj.viewer_may_read_state = rbac.can(self.rbac_subject(request), "update", obj.workspace.template)
        return obj

    def get_urls(self):
        urls = super().get_urls()
        return [path("<uuid:build_id>/state/", self.admin_site.admin_view(self.state_view),
                     name="workspaces_workspacebuild_state"), *urls]

    def state_view(self, request, build_id):
        build = self.get_queryset(request).filter(pk=build_id).select_related("workspace__template").first()
        if build is None:
            raise Http404("Not found.")
        try:
            state = build_services.read_state(build, actor=actor_for(request))
        except (rbac.NotFound, rbac.Forbidden):
            raise Http404("Not found.") from None
        response = HttpResponse(state, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="build-{build.build_number}.tfstate"'
        return response
