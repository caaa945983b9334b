"""Template versions in the admin: read-only (README, parameters and variables as the import
found them), with actions to promote a version to active, archive and unarchive it.
New versions come from the "upload template" form under Files."""
from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from accounts.admin.mixins import RbacAdminMixin, actor_for
from accounts.services.errors import ValidationFailed
from templates_app.models import TemplateVersion
from templates_app.services import version_state
from templates_app.services import versions as version_services

from .common import AclAwareMixin, html_table, job_logs_widget

FIELDS = ("id", "name", "template", "organization", "message", "archived", "job_status", "job_error",
          "created_by", "created_at", "updated_at", "readme_text", "parameter_table", "variable_table", "logs")


class TemplateVersionAdmin(AclAwareMixin, RbacAdminMixin, admin.ModelAdmin):
    list_display = ("name", "template", "organization", "job_status", "is_active", "archived", "created_by",
                    "created_at")
    list_filter = ("archived", "job__status", ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "template__name", "message")
    list_select_related = ("template", "organization", "job", "created_by")
    fields = FIELDS
    readonly_fields = FIELDS
    actions = ("promote", "archive", "unarchive", "cancel_import")

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(template__deleted=True)

    # Versions are created by uploads and never deleted (Coder archives them instead).
    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def apply(self, request, obj, form, change):
        return obj  # nothing here is editable: changes happen through the actions

    @admin.display(description="Import status", ordering="job__status")
    def job_status(self, version):
        return version.job.status

    @admin.display(description="Import error")
    def job_error(self, version):
        return version.job.error or "—"

    @admin.display(boolean=True, description="Active")
    def is_active(self, version):
        return version.template is not None and version.template.active_version_id == version.pk

    @admin.display(description="README")
    def readme_text(self, version):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", version.readme) if version.readme else "—"

    @admin.display(description="Parameters")
    def parameter_table(self, version):
        return html_table(("Name", "Type", "Default", "Required", "Mutable", "Description"), [
            (p.name, p.type, p.default_value, p.required, p.mutable, p.description) for p in version.parameters.all()])

    @admin.display(description="Variables")
    def variable_table(self, version):
        return html_table(("Name", "Type", "Value", "Default", "Required", "Sensitive"), [
            (v.name, v.type, "(sensitive)" if v.sensitive and v.value else v.value,
             "(sensitive)" if v.sensitive and v.default_value else v.default_value, v.required, v.sensitive)
            for v in version.variables.all()])

    @admin.display(description="Import logs")
    def logs(self, version):
        return job_logs_widget(f"/api/v2/templateversions/{version.pk}/logs", version.job)

    @admin.action(description="Cancel the import of the selected versions", permissions=["change"])
    def cancel_import(self, request, queryset):
        actor = actor_for(request)
        self.run_service(request, queryset, lambda v: version_services.cancel_import(v, actor=actor), "Canceled")

    @admin.action(description="Make the selected versions active on their templates", permissions=["change"])
    def promote(self, request, queryset):
        actor = actor_for(request)

        def call(version):
            if version.template is None:
                raise ValidationFailed("The version is not part of a template.")
            version_state.set_active_version(version.template, actor=actor, version_id=version.pk)

        self.run_service(request, queryset, call, "Promoted")

    @admin.action(description="Archive the selected versions", permissions=["change"])
    def archive(self, request, queryset):
        actor = actor_for(request)
        self.run_service(request, queryset, lambda v: version_state.set_archived(v, True, actor=actor), "Archived")

    @admin.action(description="Unarchive the selected versions", permissions=["change"])
    def unarchive(self, request, queryset):
        actor = actor_for(request)
        self.run_service(request, queryset, lambda v: version_state.set_archived(v, False, actor=actor),
                         "Unarchived")


admin.site.register(TemplateVersion, TemplateVersionAdmin)
