"""Organizations and their members in the admin; role editing goes through the assign rules."""
from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts import rbac
from accounts.models import Organization, OrganizationMember
from accounts.services import admin_ops, organizations

from .mixins import RbacAdminMixin, ServiceFormMixin, actor_for, copy_saved


class OrganizationAdmin(RbacAdminMixin, admin.ModelAdmin):
    list_display = ("name", "display_name", "is_default", "created_at")
    search_fields = ("name", "display_name")
    fields = ("name", "display_name", "description", "icon", "is_default", "created_at", "updated_at")
    readonly_fields = ("is_default", "created_at", "updated_at")

    def rbac_create_target(self, request):
        return rbac.RbacObject(type="organization")

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        data = {k: form.cleaned_data[k] for k in admin_ops.ORG_FIELDS if k in form.cleaned_data}
        if change:
            admin_ops.update_organization(obj, actor=actor,
                                          changes={k: v for k, v in data.items() if k in form.changed_data})
        else:
            copy_saved(obj, organizations.create_organization(actor=actor, **data))

    def delete_model(self, request, obj):
        admin_ops.delete_organization(obj, actor=actor_for(request))


class MemberForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = OrganizationMember
        fields = ("organization", "user", "roles")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "roles" in self.fields:
            org_id = self.instance.organization_id if self.instance.pk else None
            self.fields["roles"].queryset = admin_ops.assignable_org_roles(org_id)
            self.fields["roles"].required = False
            self.fields["roles"].help_text = "Every member is also an organization-member (implicit)."

    def clean(self):
        data = super().clean()
        org = data.get("organization") or (self.instance.organization if self.instance.pk else None)
        roles = data.get("roles")
        if org is None or roles is None or "roles" not in self.changed_data:
            return data
        allowed = set(admin_ops.assignable_org_roles(org.id))
        current = set(self.instance.roles.all()) if self.instance.pk else set()
        changed = set(roles) ^ current
        actor = self.rbac_actor
        user = data.get("user") or getattr(self.instance, "user", None)
        if any(r not in allowed for r in roles):
            self.add_error("roles", "Not a role of this organization.")
        elif changed and user is not None and actor.user is not None and actor.user.pk == user.pk:
            self.add_error("roles", "You cannot change your own roles.")
        else:
            refused = sorted(r.name for r in changed if not rbac.can_assign(actor.subject, r.name, org.id,
                                                                             custom=not r.builtin))
            if refused:
                self.add_error("roles", f"You may not assign or revoke: {', '.join(refused)}.")
        return data


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

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        roles = list(form.cleaned_data.get("roles") or [])
        if change:
            if "roles" in form.changed_data:
                admin_ops.set_member_roles(obj, roles, actor=actor)
            return
        membership = organizations.add_member(obj.organization, obj.user, actor=actor)
        if roles:
            admin_ops.set_member_roles(membership, roles, actor=actor)
        copy_saved(obj, membership)

    def save_related(self, request, form, formsets, change):
        pass  # roles went through set_member_roles

    def delete_model(self, request, obj):
        admin_ops.remove_member(obj, actor=actor_for(request))


admin.site.register(Organization, OrganizationAdmin)
admin.site.register(OrganizationMember, OrganizationMemberAdmin)
