"""Roles in the admin: built-in roles are read-only; organizations' custom roles are
created and edited through the custom-role service."""
from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts.models import Role
from accounts.services import admin_ops
from accounts.services.errors import Conflict, ValidationFailed

from .mixins import RbacAdminMixin, ServiceFormMixin, actor_for, copy_saved


class CustomRoleForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = Role
        fields = ("organization", "name", "display_name", "organization_permissions", "user_permissions")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organization" in self.fields:
            self.fields["organization"].required = True
        if "organization_permissions" in self.fields:
            self.fields["organization_permissions"].help_text = (
                'e.g. [{"resource_type": "template", "action": "read", "negate": false}]')

    def clean(self):
        data = super().clean()
        org = data.get("organization") or (self.instance.organization if not self.instance._state.adding else None)
        if org is None or self.errors:
            return data
        fields = {k: data[k] for k in admin_ops.ROLE_FIELDS if k in data and k in self.changed_data}
        try:
            admin_ops._validate_role(org.id, fields, self.instance if not self.instance._state.adding else None)
        except (ValidationFailed, Conflict) as exc:
            self.add_service_error(exc)
        return data


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
        return ("organization",) if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.builtin:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.builtin:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        org = obj.organization if change else data["organization"]
        fields = {k: data[k] for k in admin_ops.ROLE_FIELDS if k in data and (not change or k in form.changed_data)}
        role = admin_ops.save_custom_role(obj if change else None, actor=actor_for(request), organization=org,
                                          fields=fields)
        copy_saved(obj, role)

    def delete_model(self, request, obj):
        admin_ops.delete_custom_role(obj, actor=actor_for(request))


admin.site.register(Role, RoleAdmin)
