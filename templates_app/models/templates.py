"""Templates: a named, versioned Terraform definition inside an organization, with Coder's
scheduling and policy fields. Access control lists live in django-guardian (see acl.py)."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class PortShareLevel(models.TextChoices):
    OWNER = "owner"
    AUTHENTICATED = "authenticated"
    PUBLIC = "public"


class Template(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="templates")
    name = models.CharField(max_length=64)
    display_name = models.CharField(max_length=64, blank=True, default="")
    description = models.CharField(max_length=128, blank=True, default="")
    icon = models.CharField(max_length=512, blank=True, default="")
    provisioner = models.CharField(max_length=16, default="terraform")
    active_version = models.ForeignKey("templates_app.TemplateVersion", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted = models.BooleanField(default=False)

    default_ttl_ms = models.BigIntegerField(default=0)
    activity_bump_ms = models.BigIntegerField(default=3_600_000)
    autostop_requirement_days_of_week = models.JSONField(default=list, blank=True)
    autostop_requirement_weeks = models.IntegerField(default=1)
    autostart_requirement_days_of_week = models.JSONField(default=list, blank=True)
    allow_user_autostart = models.BooleanField(default=True)
    allow_user_autostop = models.BooleanField(default=True)
    allow_user_cancel_workspace_jobs = models.BooleanField(default=True)
    failure_ttl_ms = models.BigIntegerField(default=0)
    time_til_dormant_ms = models.BigIntegerField(default=0)
    time_til_dormant_autodelete_ms = models.BigIntegerField(default=0)
    require_active_version = models.BooleanField(default=False)
    deprecation_message = models.TextField(blank=True, default="")
    max_port_share_level = models.CharField(max_length=16, choices=PortShareLevel.choices,
                                            default=PortShareLevel.OWNER)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [models.UniqueConstraint(Lower("name"), "organization", condition=models.Q(deleted=False),
                                               name="template_name_unique_in_org")]
        # ACL roles, stored per user/group by django-guardian (see models/acl.py).
        permissions = [("use_template", "Use the template (create workspaces)"),
                       ("admin_template", "Administer the template")]

    def __str__(self) -> str:
        return self.display_name or self.name
