"""Installs `PortalAdminSite` as `django.contrib.admin.site`, so every app's
`admin.site.register(...)` lands on it."""
from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "coderportal.admin_site.PortalAdminSite"
