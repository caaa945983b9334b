"""The portal's admin site: the management UI for every role.

Every active user may open it; what each one sees and may change is decided by
accounts.rbac through `accounts.admin.mixins.RbacAdminMixin`, which every ModelAdmin uses
(a test walks the registry to enforce it).
"""
from __future__ import annotations

from django.contrib import admin
from django.urls import path


class PortalAdminSite(admin.AdminSite):
    site_header = "coderportal administration"
    site_title = "coderportal"
    index_title = "Management"

    def has_permission(self, request) -> bool:
        # No is_staff gate: access is decided object by object by the RBAC engine.
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)

    # The admin's own login, logout and password change are the portal's: the same throttle,
    # checks, audit and key revocation as /login and the users API (accounts/views_login.py,
    # imported on use: the admin site is built before the apps' models are ready).
    def login(self, request, extra_context=None):
        from accounts.views_login import admin_login

        return admin_login(request, self, extra_context)

    def logout(self, request, extra_context=None):
        from accounts.views_login import logout_page

        return logout_page(request)

    def password_change(self, request, extra_context=None):
        from accounts.views_login import admin_password_change

        return admin_password_change(request, self, extra_context)

    # --- the deployment health report (owners: debug_info read) ---
    def get_urls(self):
        return [path("health/", self.admin_view(self.health_view), name="health"), *super().get_urls()]

    def health_view(self, request):
        from django.core.exceptions import PermissionDenied
        from django.template.response import TemplateResponse

        from accounts import rbac
        from coderportal.health import report

        if not rbac.can(rbac.subject_of(request.user), "read", rbac.RbacObject(type="debug_info")):
            raise PermissionDenied
        built = report.build()
        sections = [(name, value) for name, value in built.items() if isinstance(value, dict)]
        return TemplateResponse(request, "admin/health.html",
                                {**self.each_context(request), "title": "Health", "report": built,
                                 "sections": sections})
