"""Resources a build's Terraform state holds, with their `coder_metadata` items."""
from __future__ import annotations

import uuid

from django.db import models


class WorkspaceResource(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    build = models.ForeignKey("workspaces.WorkspaceBuild", on_delete=models.CASCADE, related_name="resources")
    job = models.ForeignKey("templates_app.ProvisionerJob", on_delete=models.CASCADE, related_name="+")
    transition = models.CharField(max_length=8)
    type = models.CharField(max_length=256)
    name = models.CharField(max_length=256)
    address = models.CharField(max_length=512, blank=True, default="")
    hide = models.BooleanField(default=False)
    icon = models.CharField(max_length=512, blank=True, default="")
    daily_cost = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["type", "name"]


class WorkspaceResourceMetadata(models.Model):
    resource = models.ForeignKey(WorkspaceResource, on_delete=models.CASCADE, related_name="metadata")
    key = models.CharField(max_length=256)
    value = models.TextField(blank=True, default="")
    sensitive = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
