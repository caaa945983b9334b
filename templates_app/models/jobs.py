"""Provisioner jobs (template imports, dry-runs, workspace builds), their logs, and the daemons
(Celery workers) that run them. One table for every job type, as in Coder."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class JobType(models.TextChoices):
    TEMPLATE_VERSION_IMPORT = "template_version_import"
    WORKSPACE_BUILD = "workspace_build"
    TEMPLATE_VERSION_DRY_RUN = "template_version_dry_run"


class JobStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    CANCELING = "canceling"
    CANCELED = "canceled"
    FAILED = "failed"


ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.CANCELING)
FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.CANCELED, JobStatus.FAILED)


class ProvisionerJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    initiator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    type = models.CharField(max_length=32, choices=JobType.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True)
    file = models.ForeignKey("templates_app.File", on_delete=models.PROTECT, related_name="jobs")
    tags = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=256, default="provisioner")
    input = models.JSONField(default=dict, blank=True)
    # What a finished job produced that has no other home (e.g. a dry-run's planned resources).
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    worker = models.ForeignKey("templates_app.ProvisionerDaemon", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)  # doubles as the running worker's heartbeat
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "queue", "created_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ProvisionerJobLog(models.Model):
    """One log line; `id` is the sequence number clients page with `after`."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(ProvisionerJob, on_delete=models.CASCADE, related_name="logs")
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=32, default="provisioner")
    level = models.CharField(max_length=16, default="info")
    stage = models.CharField(max_length=128, blank=True, default="")
    output = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["job", "id"])]


class ProvisionerDaemon(models.Model):
    """A provisioner worker process; it registers at start and heartbeats `last_seen_at`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    name = models.CharField(max_length=256, unique=True)
    tags = models.JSONField(default=dict, blank=True)
    provisioners = models.JSONField(default=list, blank=True)
    version = models.CharField(max_length=64, blank=True, default="")
    api_version = models.CharField(max_length=16, blank=True, default="1.0")
    current_job = models.ForeignKey(ProvisionerJob, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    previous_job = models.ForeignKey(ProvisionerJob, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
