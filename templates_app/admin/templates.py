"""Templates in the admin: create one from an imported version, edit its metadata and
scheduling policy, pick the active version, see its access list, delete (soft).

Writes go through `services.templates` / `services.version_state`; the forms' dry run
(ServiceFormMixin) turns the services' validation errors into field errors.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts import rbac
from accounts.admin.mixins import RbacAdminMixin, ServiceFormMixin, actor_for
from accounts.models import Group, User
from coderportal.durations import DurationMsField
from templates_app.models import JobStatus, Template, TemplateVersion
from templates_app.services import acl, version_state
from templates_app.services import templates as services
from templates_app.services.template_fields import EDITABLE_FIELDS, WEEKDAYS

from .common import AclAwareMixin, html_table

WEEKDAY_CHOICES = [(d, d.title()) for d in WEEKDAYS]
CREATE_FIELDS = ("organization", "name", "display_name", "description", "icon")


def _importable_versions(subject, template=None):
    """Versions a template may use: import succeeded, not archived; for a new template, not
    yet attached to one; for an existing one, its own."""
    queryset = TemplateVersion.objects.filter(job__status=JobStatus.SUCCEEDED, archived=False)
    queryset = queryset.filter(template=template) if template is not None else queryset.filter(template=None)
    return rbac.filter_queryset(subject, "read", queryset.select_related("organization"))


class TemplateCreateForm(ServiceFormMixin, forms.ModelForm):
    template_version = forms.ModelChoiceField(queryset=TemplateVersion.objects.none(),
                                              help_text="An imported version (upload one under Files).")
    disable_everyone_group_access = forms.BooleanField(
        required=False, help_text="Leave unchecked to let every member of the organization use the template.")

    class Meta:
        model = Template
        fields = CREATE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.rbac_request is not None:
            self.fields["template_version"].queryset = _importable_versions(rbac.subject_of(self.rbac_request.user))


DURATION_FIELDS = {
    "default_ttl_ms": ("Default autostop", "Workspaces stop this long after they start (0: never)."),
    "activity_bump_ms": ("Activity bump", "A connection pushes the stop this far out (0: connections don't)."),
    "failure_ttl_ms": ("Stop failed workspaces after", "0: never. At least 1m otherwise."),
    "time_til_dormant_ms": ("Dormant after unused for", "0: never. At least 1m otherwise."),
    "time_til_dormant_autodelete_ms": ("Delete dormant workspaces after", "0: never. At least 1m otherwise."),
}


class TemplateChangeForm(ServiceFormMixin, forms.ModelForm):
    """Schedule durations are shown and typed in hours/minutes ("8h", "90m", "1h30m")."""

    autostop_requirement_days_of_week = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Days on which workspaces must restart (within the owner's quiet hours).")
    autostart_requirement_days_of_week = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Days on which autostart may happen.")

    class Meta:
        model = Template
        fields = ("active_version",) + EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (label, help_text) in DURATION_FIELDS.items():
            if name in self.fields:
                self.fields[name] = DurationMsField(label=label, help_text=help_text + " e.g. 8h, 90m, 1h30m.")
        if self.rbac_request is not None and "active_version" in self.fields:
            self.fields["active_version"].queryset = _importable_versions(
                rbac.subject_of(self.rbac_request.user), template=self.instance)
            self.fields["active_version"].required = True

    def clean(self):
        data = super().clean()
        for name in DURATION_FIELDS:
            if name in data and data[name] is None:
                data[name] = 0  # left empty: off
        return data


class TemplateAdmin(AclAwareMixin, RbacAdminMixin, admin.ModelAdmin):
    list_display = ("name", "display_name", "organization", "active_version", "deprecated", "created_by",
                    "updated_at")
    list_filter = (("organization", admin.RelatedOnlyFieldListFilter), "require_active_version")
    search_fields = ("name", "display_name", "description")
    list_select_related = ("organization", "active_version", "created_by")
    ordering = ("organization__name", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted=False)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TemplateChangeForm if obj is not None else TemplateCreateForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": CREATE_FIELDS + ("template_version", "disable_everyone_group_access")})]
        return [
            (None, {"fields": ("id", "organization", "name", "display_name", "description", "icon",
                               "active_version", "deprecation_message")}),
            ("Schedule", {"fields": ("default_ttl_ms", "activity_bump_ms", "autostop_requirement_days_of_week",
                                     "autostop_requirement_weeks", "autostart_requirement_days_of_week",
                                     "allow_user_autostart", "allow_user_autostop", "failure_ttl_ms",
                                     "time_til_dormant_ms", "time_til_dormant_autodelete_ms")}),
            ("Policy", {"fields": ("allow_user_cancel_workspace_jobs", "require_active_version",
                                   "max_port_share_level")}),
            ("Access", {"fields": ("access_list",)}),
            ("History", {"fields": ("created_by", "created_at", "updated_at")}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("id", "organization", "access_list", "created_by", "created_at", "updated_at")

    @admin.display(boolean=True, description="Deprecated")
    def deprecated(self, template):
        return bool(template.deprecation_message)

    @admin.display(description="Access list")
    def access_list(self, template):
        users = dict(acl.user_roles(template))
        groups = dict(acl.group_roles(template))
        names = {u.pk: u.username for u in User.objects.filter(pk__in=list(users))}
        group_names = {g.pk: g.name for g in Group.objects.filter(pk__in=list(groups))}
        rows = [("user", names.get(k, k), role) for k, role in users.items()]
        rows += [("group", group_names.get(k, k), role) for k, role in groups.items()]
        return html_table(("Kind", "Name", "Role"), sorted(rows, key=lambda r: (r[0], str(r[1]))))

    def apply(self, request, obj, form, change):
        actor, data = actor_for(request), form.cleaned_data
        if not change:
            version = data["template_version"]
            return services.create_template(
                data["organization"], actor=actor, name=data["name"], template_version_id=version.pk,
                disable_everyone_group_access=data.get("disable_everyone_group_access", False),
                **{f: data.get(f) or "" for f in ("display_name", "description", "icon")})
        # The admin has already copied the form's values onto `obj`: compare with the row.
        template = Template.objects.select_related("organization").get(pk=obj.pk)
        changes = {f: data[f] for f in EDITABLE_FIELDS if f in form.changed_data}
        if changes:
            template, _ = services.update_template(template, actor=actor, **changes)
        if "active_version" in form.changed_data and data.get("active_version") is not None:
            version_state.set_active_version(template, actor=actor, version_id=data["active_version"].pk)
        return template

    def delete_model(self, request, obj):
        services.delete_template(obj, actor=actor_for(request))

    def get_deleted_objects(self, objs, request):
        # Templates are soft-deleted: nothing cascades.
        objs = list(objs)
        refused = {"template"} if any(not self.has_delete_permission(request, t) for t in objs) else set()
        return [str(t) for t in objs], {"templates": len(objs)}, refused, []


admin.site.register(Template, TemplateAdmin)
