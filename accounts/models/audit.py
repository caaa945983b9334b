"""The audit log: one row per mutation, never edited."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    time = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True, default="")
    resource_type = models.CharField(max_length=64, db_index=True)
    resource_id = models.CharField(max_length=64, blank=True, default="")
    resource_target = models.CharField(max_length=256, blank=True, default="")
    resource_icon = models.CharField(max_length=256, blank=True, default="")
    action = models.CharField(max_length=32, db_index=True)
    diff = models.JSONField(default=dict, blank=True)
    status_code = models.IntegerField(default=200)
    additional_fields = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-time"]

    def __str__(self) -> str:
        return f"{self.action} {self.resource_type} {self.resource_target}"
