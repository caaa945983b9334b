"""Users in the admin: list with status / login type / role filters, create, edit profile and
site roles (only roles the editor may assign), suspend / activate, delete (soft, as Coder).

The password hash is never shown; it is only set on creation.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts import rbac
from accounts.models import Role, User
from accounts.models.users import LoginType, UserStatus
from accounts.rbac import builtin_roles
from accounts.services import admin_ops, users
from accounts.services.errors import Conflict, ValidationFailed

from .mixins import RbacAdminMixin, ServiceFormMixin, actor_for, copy_saved


def site_role_choices():
    return Role.objects.filter(organization=None, is_org_role=False).exclude(name=builtin_roles.MEMBER)


class UserAddForm(ServiceFormMixin, forms.ModelForm):
    password1 = forms.CharField(label="Password", required=False, strip=False, widget=forms.PasswordInput,
                                help_text="Required for login type password; leave empty otherwise.")
    password2 = forms.CharField(label="Password (again)", required=False, strip=False, widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ("username", "email", "name", "login_type")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        password = data.get("password1") or None
        if password != (data.get("password2") or None):
            self.add_error("password2", "The two passwords differ.")
            return data
        try:
            users.validate_new_user(data.get("username"), data.get("email"), password,
                                    data.get("login_type") or LoginType.PASSWORD)
        except (ValidationFailed, Conflict) as exc:
            self.add_service_error(exc)
        return data


class UserChangeForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ("username", "email", "name", "avatar_url", "login_type", "site_roles")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "site_roles" in self.fields:
            self.fields["site_roles"].queryset = site_role_choices()
            self.fields["site_roles"].required = False
            self.fields["site_roles"].help_text = "Every user is also a member (implicit)."

    def clean(self):
        data = super().clean()
        changes = {k: data[k] for k in self.changed_data if k in admin_ops.USER_EDITABLE and k in data}
        try:
            admin_ops.validate_user_profile(self.instance, changes)
        except (ValidationFailed, Conflict) as exc:
            self.add_service_error(exc)
        if "site_roles" in self.changed_data and "site_roles" in data:
            self._check_roles(set(data["site_roles"]))
        return data

    def _check_roles(self, wanted: set) -> None:
        actor = self.rbac_actor
        current = set(self.instance.site_roles.all())
        changed = wanted ^ current
        if changed and actor.user is not None and actor.user.pk == self.instance.pk:
            self.add_error("site_roles", "You cannot change your own roles.")
            return
        refused = sorted(r.name for r in changed
                         if not rbac.can_assign(actor.subject, r.name, None, custom=not r.builtin))
        if refused:
            self.add_error("site_roles", f"You may not assign or revoke: {', '.join(refused)}.")


class UserAdmin(RbacAdminMixin, admin.ModelAdmin):
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
        kwargs["fields"] = None
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

    def save_model(self, request, obj, form, change):
        actor = actor_for(request)
        data = form.cleaned_data
        if not change:
            created = users.create_user(actor=actor, username=data["username"], email=data["email"],
                                        password=data.get("password1") or None, name=data.get("name", ""),
                                        login_type=data.get("login_type") or LoginType.PASSWORD)
            copy_saved(obj, created)
            return
        changes = {k: data[k] for k in form.changed_data if k in admin_ops.USER_EDITABLE}
        if changes:
            admin_ops.update_user(obj, actor=actor, changes=changes)
        if "site_roles" in form.changed_data:
            admin_ops.set_site_roles(obj, list(data["site_roles"]), actor=actor)

    def save_related(self, request, form, formsets, change):
        pass  # site roles went through set_site_roles in save_model

    def delete_model(self, request, obj):
        admin_ops.delete_user(obj, actor=actor_for(request))

    def get_deleted_objects(self, objs, request):
        # Users are soft-deleted: nothing cascades, so list just the users.
        objs = list(objs)
        refused = {"user"} if any(not self.has_delete_permission(request, u) for u in objs) else set()
        return [str(u) for u in objs], {"users": len(objs)}, refused, []

    @admin.action(description="Suspend selected users", permissions=["change"])
    def suspend_users(self, request, queryset):
        actor = actor_for(request)
        self.run_service(request, queryset, lambda u: admin_ops.set_user_status(u, UserStatus.SUSPENDED,
                                                                                actor=actor), "Suspended")

    @admin.action(description="Activate selected users", permissions=["change"])
    def activate_users(self, request, queryset):
        actor = actor_for(request)
        self.run_service(request, queryset, lambda u: admin_ops.set_user_status(u, UserStatus.ACTIVE,
                                                                                actor=actor), "Activated")


admin.site.register(User, UserAdmin)
