"""Users in the admin: list with status / login type / role filters, create, edit profile and
site roles (through the users service and its assign rules), suspend / activate, delete
(soft, as Coder). The password hash is never shown; a password is only set on creation.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts import rbac
from accounts.models import Role, User
from accounts.models.users import LoginType, UserStatus
from accounts.rbac import builtin_roles
from accounts.services import admin_ops, users

from . import extensions
from .mixins import RbacAdminMixin, ServiceFormMixin, actor_for

PROFILE_FIELDS = ("username", "name")  # users.update_profile
OTHER_FIELDS = ("email", "avatar_url", "login_type")  # admin_ops.update_user


class UserAddForm(ServiceFormMixin, forms.ModelForm):
    password1 = forms.CharField(label="Password", required=False, strip=False, widget=forms.PasswordInput,
                                help_text="Required for login type password; leave empty otherwise.")
    password2 = forms.CharField(label="Password (again)", required=False, strip=False, widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ("username", "email", "name", "login_type")

    def clean(self):
        data = super().clean()
        if (data.get("password1") or "") != (data.get("password2") or ""):
            self.add_error("password2", "The two passwords differ.")
        return data


class UserChangeForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ("username", "email", "name", "avatar_url", "login_type", "site_roles")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "site_roles" in self.fields:
            field = self.fields["site_roles"]
            field.queryset = Role.objects.filter(organization=None, is_org_role=False).exclude(
                name=builtin_roles.MEMBER)
            field.required = False
            field.help_text = "Every user is also a member (implicit)."


class UserAdmin(RbacAdminMixin, admin.ModelAdmin):
    change_form_template = extensions.CHANGE_FORM_TEMPLATE
    list_display = ("username", "email", "name", "status", "login_type", "role_names", "last_seen_at",
                    "created_at")
    list_filter = ("status", "login_type", ("site_roles", admin.RelatedOnlyFieldListFilter))
    search_fields = ("username", "email", "name")
    ordering = ("username",)
    readonly_fields = ("id", "status", "last_seen_at", "created_at", "updated_at")
    actions = ("suspend_users", "activate_users")

    def rbac_create_target(self, request):
        return rbac.RbacObject(type="user")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted=False).prefetch_related("site_roles")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = UserChangeForm if obj is not None else UserAddForm
        if obj is None or self.has_change_permission(request, obj):
            kwargs["fields"] = None  # the form's own fields; a read-only view needs Django's list
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ("username", "email", "name", "login_type", "password1", "password2")})]
        return [(None, {"fields": ("id", "username", "email", "name", "avatar_url", "login_type")}),
                ("Access", {"fields": ("status", "site_roles")}),
                ("Activity", {"fields": ("last_seen_at", "created_at", "updated_at")})]

    @admin.display(description="Site roles")
    def role_names(self, user):
        return ", ".join(sorted(r.name for r in user.site_roles.all())) or "member"

    def apply(self, request, obj, form, change):
        actor, data, changed = actor_for(request), form.cleaned_data, form.changed_data
        if not change:
            return users.create_user(actor=actor, username=data["username"], email=data["email"],
                                     password=data.get("password1") or None, name=data.get("name", ""),
                                     login_type=data.get("login_type") or LoginType.PASSWORD)
        if any(f in changed for f in PROFILE_FIELDS):
            users.update_profile(obj, actor=actor, username=data["username"], name=data.get("name", ""))
        if other := {f: data[f] for f in OTHER_FIELDS if f in changed}:
            admin_ops.update_user(obj, actor=actor, changes=other)
        if "site_roles" in changed:
            users.set_site_roles(obj, [r.name for r in data["site_roles"]], actor=actor)
        return obj

    def save_related(self, request, form, formsets, change):
        pass  # site roles went through users.set_site_roles

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Panels other apps registered (e.g. workspace quota), for the object this viewer may read.
        obj = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **extensions.context(extensions.user_panels, request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj):
        users.delete_user(obj, actor=actor_for(request))

    def get_deleted_objects(self, objs, request):
        # Users are soft-deleted: nothing cascades, so list just the users.
        objs = list(objs)
        refused = {"user"} if any(not self.has_delete_permission(request, u) for u in objs) else set()
        return [str(u) for u in objs], {"users": len(objs)}, refused, []

    @admin.action(description="Suspend selected users", permissions=["change"])
    def suspend_users(self, request, queryset):
        actor = actor_for(request)
        self.run_service(request, queryset, lambda u: users.set_status(u, UserStatus.SUSPENDED, actor=actor),
                         "Suspended")

    @admin.action(description="Activate selected users", permissions=["change"])
    def activate_users(self, request, queryset):
        actor = actor_for(request)
        self.run_service(request, queryset, lambda u: users.set_status(u, UserStatus.ACTIVE, actor=actor),
                         "Activated")


admin.site.register(User, UserAdmin)
