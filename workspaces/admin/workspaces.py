"""Workspace admin: list with status/lifecycle/template/organization/owner filters, a deadline
column and search; the start/stop/restart/update/delete actions (each a build through the
services, with a result line per workspace) and the lifecycle actions (extend by an hour,
mark dormant / active); a two-step create (template, then a form generated from its
parameters); settings edits through `workspaces.services.settings`, with the autostop timer
in hours/minutes and a preview of the next autostart and autostop."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts import rbac
from accounts.admin.mixins import SERVICE_ERRORS, RbacAdminMixin, actor_for, error_text
from accounts.models import User
from accounts.services.errors import ValidationFailed
from templates_app.models import Template
from workspaces.admin import lifecycle as lifecycle_admin
from workspaces.admin.forms import PickTemplateForm, WorkspaceChangeForm, WorkspaceDetailsForm
from workspaces.api.query import STATUS_FILTERS
from workspaces.api.serializers.builds import workspace_status
from workspaces.lifecycle import services as lifecycle_services
from workspaces.models import Workspace
from workspaces.services import builds as build_services
from workspaces.services import restart as restart_services
from workspaces.services import settings as settings_services
from workspaces.services import workspaces as workspace_services

ADD_TEMPLATE = Path(__file__).with_name("html") / "add_workspace.html"


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(name, name) for name in STATUS_FILTERS]

    def queryset(self, request, queryset):
        if self.value() not in STATUS_FILTERS:
            return queryset
        job_status, transition = STATUS_FILTERS[self.value()]
        condition = Q(latest_build__job__status=job_status)
        if transition:
            condition &= Q(latest_build__transition=transition)
        return queryset.filter(condition)


class LifecycleFilter(admin.SimpleListFilter):
    title = "lifecycle"
    parameter_name = "lifecycle"

    def lookups(self, request, model_admin):
        return [("dormant", "dormant"), ("stops_within_1h", "stops within 1 h")]

    def queryset(self, request, queryset):
        if self.value() == "dormant":
            return queryset.filter(dormant_at__isnull=False)
        if self.value() == "stops_within_1h":
            now = timezone.now()
            return queryset.filter(latest_build__transition="start", latest_build__job__status="succeeded",
                                   latest_build__deadline__lte=now + timedelta(hours=1))
        return queryset


@admin.register(Workspace)
class WorkspaceAdmin(RbacAdminMixin, admin.ModelAdmin):
    form = WorkspaceChangeForm
    list_display = ("name", "owner", "organization", "template", "status", "deadline", "outdated", "created_at")
    list_filter = (StatusFilter, LifecycleFilter, ("template", admin.RelatedOnlyFieldListFilter),
                   ("organization", admin.RelatedOnlyFieldListFilter),
                   ("owner", admin.RelatedOnlyFieldListFilter), "deleted")
    search_fields = ("name", "owner__username", "template__name")
    list_select_related = ("owner", "organization", "template", "latest_build__job")
    actions = ("start", "stop", "restart", "update", "delete", "extend_one_hour", "mark_dormant", "mark_active")
    fields = ("name", "owner", "organization", "template", "status", "latest_build_link", "connect",
              "autostart_schedule", "ttl_ms", "schedule_preview", "automatic_updates", "favorite", "last_used_at",
              "dormant_at", "deleting_at", "deleted", "created_at")
    readonly_fields = ("owner", "organization", "template", "status", "latest_build_link", "connect", "favorite",
                       "schedule_preview", "last_used_at", "dormant_at", "deleting_at", "deleted", "created_at")

    # --- columns ---------------------------------------------------------------------------
    @admin.display(description="status")
    def status(self, obj):
        build = obj.latest_build
        return workspace_status(build.job.status, build.transition) if build else "—"

    @admin.display(description="stops at", ordering="latest_build__deadline")
    def deadline(self, obj):
        return lifecycle_admin.deadline_text(obj)

    @admin.display(description="schedule preview")
    def schedule_preview(self, obj):
        return lifecycle_admin.schedule_preview(obj)

    @admin.display(description="outdated", boolean=True)
    def outdated(self, obj):
        return bool(obj.latest_build and obj.latest_build.template_version_id != obj.template.active_version_id)

    @admin.display(description="latest build")
    def latest_build_link(self, obj):
        from django.utils.html import format_html

        if not obj.latest_build_id:
            return "—"
        url = reverse("admin:workspaces_workspacebuild_change", args=[obj.latest_build_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.latest_build.build_number,
                           obj.latest_build.transition)

    @admin.display(description="connect")
    def connect(self, obj):
        """Web terminal links for the latest build's agents (the page checks `ssh` itself)."""
        from django.utils.html import format_html, format_html_join

        from workspaces.models import WorkspaceAgent

        if not obj.latest_build_id or obj.deleted:
            return "—"
        agents = WorkspaceAgent.objects.filter(resource__build_id=obj.latest_build_id).order_by("name")
        links = format_html_join(" ", '<a href="{}" target="_blank">Terminal ({})</a>', (
            (reverse("web-terminal", args=[obj.owner.username, f"{obj.name}.{agent.name}"]), agent.name)
            for agent in agents))
        return links or format_html("{}", "no agent")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting a workspace is a delete build
        return actions

    # --- actions: one build per workspace, a line per result --------------------------------
    def _each(self, request, queryset, verb: str, call) -> None:
        for workspace in queryset:
            try:
                build = call(workspace)
                self.message_user(request, f"{workspace.name}: {verb} queued (build #{build.build_number}).",
                                  messages.SUCCESS)
            except rbac.NotFound:
                self.message_user(request, f"{workspace.name}: not found.", messages.ERROR)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{workspace.name}: {error_text(exc)}", messages.ERROR)

    def _build(self, request, queryset, transition: str, verb: str, **kwargs) -> None:
        actor = actor_for(request)
        self._each(request, queryset, verb,
                   lambda w: build_services.request_build(w, actor=actor, transition=transition, **kwargs))

    @admin.action(description="Start selected workspaces")
    def start(self, request, queryset):
        self._build(request, queryset, "start", "start")

    @admin.action(description="Stop selected workspaces")
    def stop(self, request, queryset):
        self._build(request, queryset, "stop", "stop")

    @admin.action(description="Restart selected workspaces (stop, then start)")
    def restart(self, request, queryset):
        actor = actor_for(request)
        self._each(request, queryset, "restart (stop, then start)",
                   lambda w: restart_services.request_restart(w, actor=actor))

    @admin.action(description="Update selected workspaces to the active template version")
    def update(self, request, queryset):
        actor = actor_for(request)
        self._each(request, queryset, "update", lambda w: build_services.request_build(
            w, actor=actor, transition="start", template_version_id=w.template.active_version_id))

    @admin.action(description="Delete selected workspaces (destroy their resources)")
    def delete(self, request, queryset):
        self._build(request, queryset, "delete", "delete")

    # --- lifecycle actions ------------------------------------------------------------------
    @admin.action(description="Extend selected workspaces' autostop by 1 hour")
    def extend_one_hour(self, request, queryset):
        actor = actor_for(request)

        def extend(workspace):
            build = settings_services.extend(workspace, actor=actor,
                                             deadline=lifecycle_admin.one_hour_later(workspace))
            return f"now stops at {lifecycle_admin.local(build.deadline)}"

        self._each_result(request, queryset, extend)

    @admin.action(description="Mark selected workspaces dormant")
    def mark_dormant(self, request, queryset):
        actor = actor_for(request)
        self._each_result(request, queryset, lambda w: "marked dormant" if lifecycle_services.set_dormant(
            w, actor=actor, dormant=True) else "already dormant")

    @admin.action(description="Mark selected workspaces active (not dormant)")
    def mark_active(self, request, queryset):
        actor = actor_for(request)
        self._each_result(request, queryset, lambda w: "marked active" if lifecycle_services.set_dormant(
            w, actor=actor, dormant=False) else "was not dormant")

    def _each_result(self, request, queryset, call) -> None:
        for workspace in queryset:
            try:
                self.message_user(request, f"{workspace.name}: {call(workspace)}.", messages.SUCCESS)
            except rbac.NotFound:
                self.message_user(request, f"{workspace.name}: not found.", messages.ERROR)
            except SERVICE_ERRORS as exc:
                self.message_user(request, f"{workspace.name}: {error_text(exc)}", messages.ERROR)

    def delete_model(self, request, obj):
        build_services.request_build(obj, actor=actor_for(request), transition="delete")

    # --- edits through the settings service ---------------------------------------------------
    def apply(self, request, obj, form, change):
        actor = actor_for(request)
        if not change:
            raise rbac.Forbidden("Create workspaces with the two-step form.")
        data = form.cleaned_data
        workspace = Workspace.objects.select_related("template", "organization").get(pk=obj.pk)
        if "name" in form.changed_data:
            workspace = settings_services.rename(workspace, actor=actor, name=data["name"])
        if "autostart_schedule" in form.changed_data:
            try:
                workspace = settings_services.set_autostart(workspace, actor=actor,
                                                            schedule=data["autostart_schedule"])
            except ValidationFailed as exc:
                # The API calls the field `schedule`; the form calls it autostart_schedule.
                exc.validations = {("autostart_schedule" if k == "schedule" else k): v
                                   for k, v in exc.validations.items()}
                raise
        if "ttl_ms" in form.changed_data:
            workspace = settings_services.set_ttl(workspace, actor=actor, ttl_ms=data["ttl_ms"])
        if "automatic_updates" in form.changed_data:
            workspace = settings_services.set_automatic_updates(workspace, actor=actor,
                                                                automatic_updates=data["automatic_updates"])
        return workspace

    # --- two-step create --------------------------------------------------------------------
    def _usable_templates(self, request):
        subject = self.rbac_subject(request)
        readable = rbac.filter_queryset(subject, "read", Template.objects.filter(deleted=False,
                                                                                 active_version__isnull=False))
        return readable.select_related("organization").order_by("organization__name", "name")

    def _owners(self, request, template):
        users = User.objects.filter(deleted=False, memberships__organization=template.organization)
        return rbac.filter_queryset(self.rbac_subject(request), "read", users).order_by("username")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise rbac.Forbidden("You may not create workspaces.")
        templates = self._usable_templates(request)
        data = request.POST if request.method == "POST" else None
        pick = PickTemplateForm(data or request.GET or None, templates=templates)
        template = pick.cleaned_data["template"] if pick.is_bound and pick.is_valid() else None
        if template is None:
            return self._render(request, pick, None)
        parameters = list(template.active_version.parameters.order_by("order", "name"))
        second_step = request.method == "POST" and request.POST.get("step") == "2"
        form = WorkspaceDetailsForm(data if second_step else None, owners=self._owners(request, template),
                                    parameters=parameters, initial={"owner": request.user.pk})
        if second_step and form.is_valid():
            try:
                workspace = workspace_services.create_workspace(
                    actor=actor_for(request), organization=template.organization, owner=form.cleaned_data["owner"],
                    name=form.cleaned_data["name"], template_id=template.pk,
                    rich_parameter_values=form.rich_parameter_values(),
                    autostart_schedule=form.cleaned_data["autostart_schedule"] or "",
                    ttl_ms=form.cleaned_data["ttl_ms"], automatic_updates=form.cleaned_data["automatic_updates"])
            except rbac.NotFound:
                form.add_error(None, "Not found.")
            except SERVICE_ERRORS as exc:
                form.add_service_errors(exc)
            else:
                self.message_user(request, f"Workspace {workspace.name} created; its first build is queued.",
                                  messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:workspaces_workspace_change", args=[workspace.pk]))
        return self._render(request, form, template)

    def _render(self, request, form, template):
        context = {**self.admin_site.each_context(request), "form": form, "template": template,
                   "opts": self.model._meta, "title": "Add workspace"}
        html = engines["django"].from_string(ADD_TEMPLATE.read_text(encoding="utf-8"))
        return TemplateResponse(request, html, context)
