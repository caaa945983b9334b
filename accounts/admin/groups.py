"""Groups in the admin, through the groups service: members are edited here (stored on the
linked Django auth group); of the "Everyone" group only the quota allowance is editable (its
name is fixed and its members are implicit)."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count

from accounts import rbac
from accounts.models import Group, User
from accounts.services import groups

from . import extensions
from .mixins import RbacAdminMixin, ServiceFormMixin, actor_for

GROUP_FIELDS = ("name", "display_name", "avatar_url", "quota_allowance")


class GroupForm(ServiceFormMixin, forms.ModelForm):
    members = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False,
                                             widget=admin.widgets.FilteredSelectMultiple("members", False),
                                             help_text="Members of the group's organization.")

    class Meta:
        model = Group
        fields = ("organization", "name", "display_name", "avatar_url", "quota_allowance")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = rbac.filter_queryset(self.rbac_actor.subject, "read", User.objects.filter(deleted=False))
        if not self.instance._state.adding:
            users = users.filter(memberships__organization_id=self.instance.organization_id)
            self.fields["members"].initial = list(self.instance.auth_group.user_set.all())
        self.fields["members"].queryset = users.order_by("username")


class GroupAdmin(RbacAdminMixin, admin.ModelAdmin):
    change_form_template = extensions.CHANGE_FORM_TEMPLATE
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
        if obj is not None and obj.is_everyone:
            # Its name and members are the organization's; only its quota allowance is edited here.
            return ("organization", "name", "display_name", "avatar_url", "source")
        return ("organization", "source") if obj is not None else ("source",)

    def get_fields(self, request, obj=None):
        fields = ["organization", "name", "display_name", "avatar_url", "quota_allowance", "source"]
        return fields if obj is not None and obj.is_everyone else [*fields, "members"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_everyone:
            return False
        return super().has_delete_permission(request, obj)

    def apply(self, request, obj, form, change):
        actor, data = actor_for(request), form.cleaned_data
        members = list(data.get("members") or ())
        if not change:
            obj = groups.create_group(data["organization"], actor=actor,
                                      **{f: data.get(f) or ("" if f != "quota_allowance" else 0)
                                         for f in GROUP_FIELDS})
        elif fields := {f: data[f] for f in GROUP_FIELDS if f in form.changed_data}:
            groups.update_group(obj, actor=actor, **fields)
        if "members" in form.changed_data:
            groups.set_group_members(obj, members, actor=actor)
        return obj

    def save_related(self, request, form, formsets, change):
        pass  # members went through the groups service

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Panels other apps registered (e.g. workspace quota), for the object this viewer may read.
        obj = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **extensions.context(extensions.group_panels, request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj):
        groups.delete_group(obj, actor=actor_for(request))


admin.site.register(Group, GroupAdmin)
