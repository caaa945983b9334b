"""Retention: records older than CODER_AIBRIDGE_RETENTION are deleted, in batches."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from aibridge import conf
from aibridge.models import Interception, TokenUsage, ToolUsage, UserPrompt

log = logging.getLogger(__name__)
BATCH = 1000


def purge_old_records(batch: int = BATCH) -> int:
    """Delete interceptions started before the cutoff and their children; returns how many
    interceptions went. Each batch is one short transaction, so writers never wait long."""
    seconds = conf.retention_seconds()
    if seconds <= 0:
        return 0
    cutoff = timezone.now() - timedelta(seconds=seconds)
    total = 0
    while True:
        ids = list(Interception.objects.filter(started_at__lt=cutoff).values_list("id", flat=True)[:batch])
        if not ids:
            return total
        with transaction.atomic():
            # No foreign keys (as Coder): children go by hand, before their parent.
            for child in (ToolUsage, TokenUsage, UserPrompt):
                child.objects.filter(interception_id__in=ids).delete()
            Interception.objects.filter(id__in=ids).delete()
        total += len(ids)


@shared_task(name="aibridge.purge")
def purge() -> int:
    deleted = purge_old_records()
    if deleted:
        log.info("purged old AI Bridge records", extra={"interceptions": deleted})
    return deleted
