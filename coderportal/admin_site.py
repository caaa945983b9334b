"""The portal's admin site: the management UI for every role.

Every active user may open it; what each one sees and may change is decided by
accounts.rbac through `accounts.admin.mixins.RbacAdminMixin`, which every ModelAdmin uses
(a test walks the registry to enforce it).
"""
from __future__ import annotations

from django.contrib import admin


class PortalAdminSite(admin.AdminSite):
    site_header = "coderportal administration"
    site_title = "coderportal"
    index_title = "Management"

    def has_permission(self, request) -> bool:
        # No is_staff gate: access is decided object by object by the RBAC engine.
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
