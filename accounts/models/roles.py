"""Roles as data: built-in and custom roles with Coder-style permission lists."""
from __future__ import annotations

import uuid

from django.db import models


class Role(models.Model):
    """A named set of permissions at three levels (site, organization, user).

    Each permission list holds `{"resource_type", "action", "negate"}` entries, as in
    Coder's custom-role API. A role with an organization is an org role; built-in roles are
    seeded by migration and cannot be edited through the API.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=64)
    display_name = models.CharField(max_length=128, blank=True, default="")
    description = models.TextField(blank=True, default="")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="custom_roles")
    is_org_role = models.BooleanField(default=False)
    builtin = models.BooleanField(default=False)
    site_permissions = models.JSONField(default=list, blank=True)
    organization_permissions = models.JSONField(default=list, blank=True)
    user_permissions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], condition=models.Q(organization__isnull=True),
                                    name="role_builtin_name_unique"),
            models.UniqueConstraint(fields=["organization", "name"], name="role_org_name_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name
