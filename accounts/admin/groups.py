"""Groups in the admin: members are edited here (stored on the linked Django auth group);
the "Everyone" group is read-only (its members are implicit)."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count

from accounts import rbac
from accounts.models import Group, User
from accounts.services import admin_ops
from accounts.services.errors import Conflict, ValidationFailed

from .mixins import RbacAdminMixin, ServiceFormMixin, actor_for, copy_saved


class GroupForm(ServiceFormMixin, forms.ModelForm):
    members = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False,
                                             widget=admin.widgets.FilteredSelectMultiple("members", False),
                                             help_text="Members of the group's organization.")

    class Meta:
        model = Group
        fields = ("organization", "name", "display_name", "avatar_url", "quota_allowance")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        subject = self.rbac_actor.subject
        users = rbac.filter_queryset(subject, "read", User.objects.filter(deleted=False))
        if not self.instance._state.adding:
            users = users.filter(memberships__organization_id=self.instance.organization_id)
            self.fields["members"].initial = list(self.instance.auth_group.user_set.all())
        self.fields["members"].queryset = users.order_by("username")

    def clean(self):
        data = super().clean()
        org = data.get("organization") or (self.instance.organization if not self.instance._state.adding else None)
        if org is None or self.errors:
            return data
        changes = {k: data[k] for k in self.changed_data if k in admin_ops.GROUP_FIELDS}
        try:
            admin_ops._validate_group(org.id, changes, self.instance if not self.instance._state.adding else None)
            admin_ops._validate_members(org.id, data.get("members") or [])
        except (ValidationFailed, Conflict) as exc:
            self.add_service_error(exc)
        return data


class GroupAdmin(RbacAdminMixin, admin.ModelAdmin):
    form = GroupForm
    list_display = ("name", "display_name", "organization", "source", "member_count", "quota_allowance")
    list_filter = ("source", ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "display_name")
    list_select_related = ("organization",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("auth_group__user", distinct=True))

    @admin.display(description="Members")
    def member_count(self, group):
        return "all members" if group.is_everyone else group._members

    def get_readonly_fields(self, request, obj=None):
        return ("organization", "source") if obj is not None else ("source",)

    def get_fields(self, request, obj=None):
        fields = ["organization", "name", "display_name", "avatar_url", "quota_allowance", "source"]
        return fields if obj is not None and obj.is_everyone else [*fields, "members"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_everyone:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_everyone:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        data = form.cleaned_data
        members = list(data.get("members") or [])
        if change:
            changes = {k: data[k] for k in form.changed_data if k in admin_ops.GROUP_FIELDS}
            admin_ops.update_group(obj, actor=actor, changes=changes,
                                   members=members if "members" in form.changed_data else None)
            return
        group = admin_ops.create_group(data["organization"], actor=actor, name=data["name"],
                                       display_name=data.get("display_name", ""),
                                       avatar_url=data.get("avatar_url", ""),
                                       quota_allowance=data.get("quota_allowance") or 0, members=members)
        copy_saved(obj, group)

    def save_related(self, request, form, formsets, change):
        pass  # members went through the group service

    def delete_model(self, request, obj):
        admin_ops.delete_group(obj, actor=actor_for(request))


admin.site.register(Group, GroupAdmin)
