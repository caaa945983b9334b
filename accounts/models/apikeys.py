"""API keys: session tokens and long-lived tokens, stored as hashes only."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class APIKeyScope(models.TextChoices):
    ALL = "all"
    APPLICATION_CONNECT = "application_connect"


class APIKey(models.Model):
    """A credential of the form `<id>-<secret>`; only sha256(secret) is stored.

    `token_name` is set for named long-lived tokens (`login_type = token`); session keys
    created by login have an empty name and the login type used.
    """

    id = models.CharField(primary_key=True, max_length=10)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    hashed_secret = models.CharField(max_length=64)
    login_type = models.CharField(max_length=16)
    token_name = models.CharField(max_length=64, blank=True, default="")
    scope = models.CharField(max_length=32, choices=APIKeyScope.choices, default=APIKeyScope.ALL)
    lifetime_seconds = models.BigIntegerField()
    expires_at = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [
            models.UniqueConstraint(fields=["user", "token_name"], condition=~models.Q(token_name=""),
                                    name="token_name_unique_per_user"),
        ]

    def __str__(self) -> str:
        return self.token_name or self.id
