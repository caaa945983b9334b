"""The notification tables: templates (data), messages (the outbox, one row per recipient and
method), per-user preferences, the in-app inbox and the deployment-wide pause switch."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Method(models.TextChoices):
    SMTP = "smtp"
    WEBHOOK = "webhook"
    INBOX = "inbox"


class WebhookFormat(models.TextChoices):
    CODER = "coder"
    SLACK = "slack"
    TEAMS = "teams"


class MessageStatus(models.TextChoices):
    PENDING = "pending"
    LEASED = "leased"
    SENT = "sent"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"


class NotificationTemplate(models.Model):
    """A system template with Coder's id; title and body are Markdown with `$label` placeholders."""

    id = models.UUIDField(primary_key=True, editable=False)
    name = models.CharField(max_length=128, unique=True)
    title_template = models.TextField()
    body_template = models.TextField()
    actions = models.JSONField(default=list, blank=True)  # [{"label", "url"}] with placeholders
    group = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, default="system")
    # The admin's choice of method for this template; empty = the deployment default.
    method = models.CharField(max_length=16, choices=[(Method.SMTP, "smtp"), (Method.WEBHOOK, "webhook")],
                              blank=True)
    webhook_format = models.CharField(max_length=16, choices=WebhookFormat.choices, blank=True)
    enabled_by_default = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "name"]

    def __str__(self):
        return self.name


class NotificationMessage(models.Model):
    """One delivery (recipient x method) of one event; leased by dispatchers, never lost."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(NotificationTemplate, on_delete=models.CASCADE, related_name="messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    method = models.CharField(max_length=16, choices=Method.choices)
    status = models.CharField(max_length=24, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    payload = models.JSONField()
    targets = models.JSONField(default=list)
    created_by = models.CharField(max_length=64, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    next_retry_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # sha256(template, user, method, payload, targets, UTC day): the same event twice a day is one message.
    dedupe_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="notif_msg_status_created")]

    def __str__(self):
        return f"{self.template.name} -> {self.user} ({self.method})"


class NotificationPreference(models.Model):
    """A user's opt-out of one template."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    template = models.ForeignKey(NotificationTemplate, on_delete=models.CASCADE, related_name="preferences")
    disabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "template"], name="notif_pref_unique")]


class InboxNotification(models.Model):
    """An in-app notification, written by the inbox dispatcher."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox")
    template = models.ForeignKey(NotificationTemplate, on_delete=models.CASCADE, related_name="+")
    targets = models.JSONField(default=list)
    title = models.TextField()
    content = models.TextField()
    icon = models.CharField(max_length=256, blank=True)
    actions = models.JSONField(default=list)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_user_read")]


class NotificationSettings(models.Model):
    """The single row holding the pause switch (`PUT /notifications/settings`)."""

    notifier_paused = models.BooleanField(default=False)

    @classmethod
    def current(cls) -> NotificationSettings:
        return cls.objects.get_or_create(pk=1)[0]
