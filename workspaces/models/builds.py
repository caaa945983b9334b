"""Workspace builds: one Terraform run (start, stop or delete) with its state and parameters.

"One active build per workspace" is a database guarantee: `active` is true from creation
until the build's job ends, and a partial unique index allows one such row per workspace.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Transition(models.TextChoices):
    START = "start"
    STOP = "stop"
    DELETE = "delete"


class BuildReason(models.TextChoices):
    INITIATOR = "initiator"
    AUTOSTART = "autostart"
    AUTOSTOP = "autostop"
    DORMANCY = "dormancy"
    AUTODELETE = "autodelete"


class WorkspaceBuild(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="builds")
    template_version = models.ForeignKey("templates_app.TemplateVersion", on_delete=models.PROTECT, related_name="+")
    build_number = models.PositiveIntegerField()
    transition = models.CharField(max_length=8, choices=Transition.choices)
    reason = models.CharField(max_length=16, choices=BuildReason.choices, default=BuildReason.INITIATOR)
    initiator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    job = models.OneToOneField("templates_app.ProvisionerJob", on_delete=models.PROTECT,
                               related_name="workspace_build")
    active = models.BooleanField(default=True)
    orphan = models.BooleanField(default=False)
    log_level = models.CharField(max_length=8, blank=True, default="")
    # Terraform state after this build (or, while it runs, the state it started from and the
    # latest checkpoint). Never rendered in API bodies except GET /state for those allowed.
    provisioner_state = models.BinaryField(default=b"")
    deadline = models.DateTimeField(null=True, blank=True)
    max_deadline = models.DateTimeField(null=True, blank=True)
    daily_cost = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-build_number"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "build_number"], name="build_number_unique"),
            models.UniqueConstraint(fields=["workspace"], condition=models.Q(active=True),
                                    name="one_active_build_per_workspace"),
        ]

    def __str__(self) -> str:
        return f"#{self.build_number} {self.transition}"


class WorkspaceBuildParameter(models.Model):
    """A rich parameter value used by a build (ephemeral values are never stored)."""

    build = models.ForeignKey(WorkspaceBuild, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField(max_length=256)
    value = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["build", "name"], name="build_parameter_unique")]
