"""The workspace: a user's environment built from a template inside an organization."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class AutomaticUpdates(models.TextChoices):
    ALWAYS = "always"
    NEVER = "never"


class Workspace(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="workspaces")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="workspaces")
    template = models.ForeignKey("templates_app.Template", on_delete=models.PROTECT, related_name="workspaces")
    name = models.CharField(max_length=32)
    autostart_schedule = models.CharField(max_length=256, blank=True, default="")
    ttl_ms = models.BigIntegerField(null=True, blank=True)
    automatic_updates = models.CharField(max_length=8, choices=AutomaticUpdates.choices,
                                         default=AutomaticUpdates.NEVER)
    favorite = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    dormant_at = models.DateTimeField(null=True, blank=True)
    deleting_at = models.DateTimeField(null=True, blank=True)
    next_start_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False, db_index=True)
    # Which kind of session (ssh, terminal, app, ...) last moved the running build's deadline,
    # and when: the answer to "why is my workspace still running?".
    last_bump_source = models.CharField(max_length=32, blank=True, default="")
    last_bump_at = models.DateTimeField(null=True, blank=True)
    # The newest build, kept here so lists need no per-row subquery.
    latest_build = models.ForeignKey("workspaces.WorkspaceBuild", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(Lower("name"), "owner", condition=models.Q(deleted=False),
                                               name="workspace_name_unique_per_owner")]
        indexes = [models.Index(fields=["organization", "deleted"]), models.Index(fields=["owner", "deleted"])]

    def __str__(self) -> str:
        return f"{self.owner_id}/{self.name}"
