"""Template-side models: uploaded files (template sources). Templates and versions follow."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class File(models.Model):
    """An uploaded archive, deduplicated per uploader by sha256 (as Coder does)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hash = models.CharField(max_length=64)
    mimetype = models.CharField(max_length=64)
    size = models.BigIntegerField()
    data = models.BinaryField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="files")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["hash", "created_by"], name="file_unique_per_uploader")]

    def __str__(self) -> str:
        return f"{self.hash[:12]} ({self.mimetype})"
