"""Agents (`coder_agent`), their scripts, metadata definitions, logs, and apps (`coder_app`).

An agent authenticates with its token; only sha256(token) is stored.
"""
from __future__ import annotations

import uuid

from django.db import models


class LifecycleState(models.TextChoices):
    CREATED = "created"
    STARTING = "starting"
    START_TIMEOUT = "start_timeout"
    START_ERROR = "start_error"
    READY = "ready"
    SHUTTING_DOWN = "shutting_down"
    SHUTDOWN_TIMEOUT = "shutdown_timeout"
    SHUTDOWN_ERROR = "shutdown_error"
    OFF = "off"


class WorkspaceAgent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey("workspaces.WorkspaceResource", on_delete=models.CASCADE, related_name="agents")
    name = models.CharField(max_length=64)
    auth_token_hash = models.CharField(max_length=64, db_index=True)
    operating_system = models.CharField(max_length=32, default="linux")
    architecture = models.CharField(max_length=32, default="amd64")
    directory = models.CharField(max_length=1024, blank=True, default="")
    expanded_directory = models.CharField(max_length=1024, blank=True, default="")
    environment_variables = models.JSONField(default=dict, blank=True)
    connection_timeout_seconds = models.IntegerField(default=120)
    troubleshooting_url = models.CharField(max_length=1024, blank=True, default="")
    motd_file = models.CharField(max_length=1024, blank=True, default="")
    startup_script_behavior = models.CharField(max_length=16, default="non-blocking")
    display_apps = models.JSONField(default=list, blank=True)
    instance_id = models.CharField(max_length=256, blank=True, default="")
    order = models.IntegerField(default=0)
    lifecycle_state = models.CharField(max_length=24, choices=LifecycleState.choices, default=LifecycleState.CREATED)
    version = models.CharField(max_length=64, blank=True, default="")
    api_version = models.CharField(max_length=16, blank=True, default="")
    first_connected_at = models.DateTimeField(null=True, blank=True)
    last_connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    logs_length = models.IntegerField(default=0)
    logs_overflowed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "name"]


class WorkspaceAgentScript(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey(WorkspaceAgent, on_delete=models.CASCADE, related_name="scripts")
    display_name = models.CharField(max_length=256, blank=True, default="")
    script = models.TextField(blank=True, default="")
    icon = models.CharField(max_length=512, blank=True, default="")
    cron = models.CharField(max_length=128, blank=True, default="")
    run_on_start = models.BooleanField(default=False)
    run_on_stop = models.BooleanField(default=False)
    start_blocks_login = models.BooleanField(default=False)
    timeout_seconds = models.IntegerField(default=0)
    log_path = models.CharField(max_length=1024, blank=True, default="")

    class Meta:
        ordering = ["display_name"]


class WorkspaceAgentMetadata(models.Model):
    """A `metadata` block of an agent: its definition and the latest value the agent reported."""

    agent = models.ForeignKey(WorkspaceAgent, on_delete=models.CASCADE, related_name="metadata")
    key = models.CharField(max_length=128)
    display_name = models.CharField(max_length=256, blank=True, default="")
    script = models.TextField(blank=True, default="")
    interval = models.IntegerField(default=10)
    timeout = models.IntegerField(default=0)
    order = models.IntegerField(default=0)
    value = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    collected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "key"]
        constraints = [models.UniqueConstraint(fields=["agent", "key"], name="agent_metadata_key_unique")]


class WorkspaceAgentLog(models.Model):
    id = models.BigAutoField(primary_key=True)
    agent = models.ForeignKey(WorkspaceAgent, on_delete=models.CASCADE, related_name="logs")
    source = models.ForeignKey(WorkspaceAgentScript, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField()
    level = models.CharField(max_length=16, default="info")
    output = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["agent", "id"])]


class WorkspaceApp(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey(WorkspaceAgent, on_delete=models.CASCADE, related_name="apps")
    slug = models.CharField(max_length=64)
    display_name = models.CharField(max_length=256, blank=True, default="")
    url = models.CharField(max_length=2048, blank=True, default="")
    command = models.TextField(blank=True, default="")
    icon = models.CharField(max_length=512, blank=True, default="")
    subdomain = models.BooleanField(default=False)
    sharing_level = models.CharField(max_length=16, default="owner")
    external = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)
    open_in = models.CharField(max_length=32, default="slim-window")
    order = models.IntegerField(default=0)
    healthcheck_url = models.CharField(max_length=2048, blank=True, default="")
    healthcheck_interval = models.IntegerField(default=0)
    healthcheck_threshold = models.IntegerField(default=0)
    health = models.CharField(max_length=16, default="disabled")

    class Meta:
        ordering = ["order", "slug"]
        constraints = [models.UniqueConstraint(fields=["agent", "slug"], name="app_slug_unique_per_agent")]
