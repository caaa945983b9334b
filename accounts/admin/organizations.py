"""Organizations and their members in the admin, through the organizations and roles services."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q

from accounts import rbac
from accounts.models import Organization, OrganizationMember, Role
from accounts.rbac import builtin_roles
from accounts.services import organizations
from accounts.services import roles as role_service

from .mixins import RbacAdminMixin, ServiceFormMixin, actor_for

ORG_FIELDS = ("name", "display_name", "description", "icon")


class OrganizationAdmin(RbacAdminMixin, admin.ModelAdmin):
    list_display = ("name", "display_name", "is_default", "created_at")
    search_fields = ("name", "display_name")
    fields = ("name", "display_name", "description", "icon", "is_default", "created_at", "updated_at")
    readonly_fields = ("is_default", "created_at", "updated_at")

    def rbac_create_target(self, request):
        return rbac.RbacObject(type="organization")

    def apply(self, request, obj, form, change):
        actor, data = actor_for(request), form.cleaned_data
        if not change:
            return organizations.create_organization(actor=actor, **{f: data.get(f, "") for f in ORG_FIELDS})
        return organizations.update_organization(
            obj, actor=actor, **{f: data[f] for f in ORG_FIELDS if f in form.changed_data})

    def delete_model(self, request, obj):
        organizations.delete_organization(obj, actor=actor_for(request))


def org_role_choices(organization_id):
    """Built-in organization roles and the organization's custom roles (`organization-member`
    is implicit)."""
    return Role.objects.filter(Q(organization=None, builtin=True, is_org_role=True)
                               | Q(organization_id=organization_id)).exclude(name=builtin_roles.ORG_MEMBER)


class MemberForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = OrganizationMember
        fields = ("organization", "user", "roles")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "roles" in self.fields:
            self.fields["roles"].queryset = org_role_choices(self.instance.organization_id)
            self.fields["roles"].required = False
            self.fields["roles"].help_text = "Every member is also an organization-member (implicit)."


class OrganizationMemberAdmin(RbacAdminMixin, admin.ModelAdmin):
    form = MemberForm
    list_display = ("user", "organization", "role_names", "created_at")
    list_filter = (("organization", admin.RelatedOnlyFieldListFilter), ("roles", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__email")
    list_select_related = ("user", "organization")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    def get_readonly_fields(self, request, obj=None):
        return ("organization", "user", "created_at") if obj is not None else ()

    @admin.display(description="Roles")
    def role_names(self, membership):
        return ", ".join(sorted(r.name for r in membership.roles.all())) or "organization-member"

    def apply(self, request, obj, form, change):
        actor = actor_for(request)
        names = [r.name for r in form.cleaned_data.get("roles") or ()]
        if not change:
            data = form.cleaned_data
            obj = organizations.add_member(data["organization"], data["user"], actor=actor)
        if (change and "roles" in form.changed_data) or (not change and names):
            role_service.update_member_roles(obj, actor=actor, roles=names)
        return obj

    def save_related(self, request, form, formsets, change):
        pass  # roles went through the roles service

    def delete_model(self, request, obj):
        organizations.remove_member(obj, actor=actor_for(request))


admin.site.register(Organization, OrganizationAdmin)
admin.site.register(OrganizationMember, OrganizationMemberAdmin)
