"""AI Bridge records, in Coder's tables: interceptions and their token, prompt and tool rows.

Like Coder, there are no foreign keys: `initiator_id` points at a user and the children at
their interception by value only, so recording never waits on row locks and the retention
purge deletes children by hand.
"""
from __future__ import annotations

import uuid

from django.db import models


class Interception(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    initiator_id = models.UUIDField(db_index=True)
    api_key_id = models.CharField(max_length=64, null=True, blank=True)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=256)
    metadata = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "aibridge_interceptions"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["provider", "model"], name="aibridge_int_provider_model")]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} {self.id}"


class _Child(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    interception_id = models.UUIDField(db_index=True)
    provider_response_id = models.CharField(max_length=256, db_index=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class TokenUsage(_Child):
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)

    class Meta(_Child.Meta):
        db_table = "aibridge_token_usages"


class UserPrompt(_Child):
    prompt = models.TextField()

    class Meta(_Child.Meta):
        db_table = "aibridge_user_prompts"


class ToolUsage(_Child):
    server_url = models.TextField(null=True, blank=True)  # NULL: a client-defined tool
    tool = models.TextField()
    input = models.TextField()
    injected = models.BooleanField(default=False)
    invocation_error = models.TextField(null=True, blank=True)  # only for injected tools

    class Meta(_Child.Meta):
        db_table = "aibridge_tool_usages"
