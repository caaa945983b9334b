"""Template ACL storage: django-guardian direct-foreign-key object permissions.

A user or group holds `use_template` ("use") or `admin_template` ("admin") on a template.
Direct foreign keys (rather than guardian's generic object_pk) keep ACL filtering a plain
indexed join on both PostgreSQL and SQLite.
"""
from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class TemplateUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("templates_app.Template", on_delete=models.CASCADE, related_name="user_perms")

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "template user permission"


class TemplateGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("templates_app.Template", on_delete=models.CASCADE,
                                       related_name="group_perms")

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "template group permission"
