"""Roles in the admin: built-in roles are read-only; organizations' custom roles are
created, edited and deleted through the roles service (validation, no-escalation check)."""
from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts.models import Role
from accounts.services import roles

from .mixins import RbacAdminMixin, ServiceFormMixin, actor_for

EXAMPLE = '[{"resource_type": "template", "action": "read", "negate": false}]'


class CustomRoleForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = Role
        fields = ("organization", "name", "display_name", "organization_permissions", "user_permissions")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organization" in self.fields:
            self.fields["organization"].required = True
        for name in ("organization_permissions", "user_permissions"):
            if name in self.fields:
                self.fields[name].help_text = f"e.g. {EXAMPLE}"


class RoleAdmin(RbacAdminMixin, admin.ModelAdmin):
    form = CustomRoleForm
    list_display = ("name", "display_name", "organization", "is_org_role", "builtin")
    list_filter = ("builtin", "is_org_role", ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "display_name")
    list_select_related = ("organization",)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.builtin:
            return ("name", "display_name", "description", "is_org_role", "site_permissions",
                    "organization_permissions", "user_permissions")
        return ("organization", "name", "display_name", "organization_permissions", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        # A custom role is identified by its name inside its organization (as in Coder's API).
        return ("organization", "name") if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.builtin:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.builtin:
            return False
        return super().has_delete_permission(request, obj)

    def apply(self, request, obj, form, change):
        data = form.cleaned_data
        body = {"name": obj.name if change else data["name"], "display_name": data.get("display_name") or "",
                "organization_permissions": data.get("organization_permissions") or [],
                "user_permissions": data.get("user_permissions") or []}
        if change:
            return roles.update_custom_role(obj.organization, actor=actor_for(request), body=body)
        return roles.create_custom_role(data["organization"], actor=actor_for(request), body=body)

    def delete_model(self, request, obj):
        roles.delete_custom_role(obj.organization, obj.name, actor=actor_for(request))


admin.site.register(Role, RoleAdmin)
