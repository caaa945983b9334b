"""The delivery queue: lease a batch, send each message within the dispatch timeout, record
the outcome (Coder's `manager.go`/`notifier.go` and `AcquireNotificationMessages`).

Leasing marks rows `leased` with a fresh token and `leased_until = now + lease period`; a
worker that dies holding a lease loses nothing: once `leased_until` passes, another
dispatcher leases the rows again. Outcomes are written only for rows still holding our
token, so a late writer whose lease expired cannot undo another worker's result.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import httpx
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from coderportal import config
from notifications.dispatch import DeliveryError, render, smtp, webhook
from notifications.models import InboxNotification, MessageStatus, NotificationMessage, NotificationSettings

log = logging.getLogger(__name__)


def inbox_group(user_id) -> str:
    return f"notifications-inbox-{user_id}"


@dataclass(frozen=True)
class QueueSettings:
    lease_count: int
    lease_seconds: float
    max_attempts: int
    retry_seconds: float
    timeout_seconds: float

    @classmethod
    def from_config(cls) -> QueueSettings:
        return cls(lease_count=max(1, config.get_int("CODER_NOTIFICATIONS_LEASE_COUNT")),
                   lease_seconds=config.get_duration("CODER_NOTIFICATIONS_LEASE_PERIOD").total_seconds(),
                   max_attempts=max(1, config.get_int("CODER_NOTIFICATIONS_MAX_SEND_ATTEMPTS")),
                   retry_seconds=config.get_duration("CODER_NOTIFICATIONS_RETRY_INTERVAL").total_seconds(),
                   timeout_seconds=config.get_duration("CODER_NOTIFICATIONS_DISPATCH_TIMEOUT").total_seconds())


def _eligible(now, max_attempts: int):
    ready = Q(status__in=[MessageStatus.PENDING, MessageStatus.TEMPORARY_FAILURE]) | Q(
        status=MessageStatus.LEASED, leased_until__lt=now)
    retry_due = Q(next_retry_after__isnull=True) | Q(next_retry_after__lte=now)
    return NotificationMessage.objects.filter(ready, retry_due, attempt_count__lt=max_attempts)


def lease(queue: QueueSettings) -> list[NotificationMessage]:
    """Take up to `lease_count` deliverable messages, oldest first, for this dispatcher alone."""
    now = timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        # SKIP LOCKED on PostgreSQL lets dispatchers lease disjoint batches in parallel; SQLite
        # serialises writers (IMMEDIATE transactions), which gives the same exclusivity.
        ids = list(_eligible(now, queue.max_attempts).order_by("created_at")
                   .select_for_update(skip_locked=True).values_list("id", flat=True)[:queue.lease_count])
        if not ids:
            return []
        # The eligibility filter is repeated so a row another dispatcher took meanwhile is left alone.
        _eligible(now, queue.max_attempts).filter(id__in=ids).update(
            status=MessageStatus.LEASED, lease_token=token,
            leased_until=now + timezone.timedelta(seconds=queue.lease_seconds))
    return list(NotificationMessage.objects.filter(lease_token=token, status=MessageStatus.LEASED)
                .select_related("template", "user").order_by("created_at"))


def deliver(message: NotificationMessage, queue: QueueSettings, *, http: httpx.Client | None = None) -> None:
    """Send one message by its method; raises DeliveryError."""
    rendered = render.render(message.template, message.payload)
    if message.method == "smtp":
        smtp.send(str(message.id), message.user.email, rendered, timeout=queue.timeout_seconds)
    elif message.method == "webhook":
        fmt = message.template.webhook_format or config.value("CODER_NOTIFICATIONS_WEBHOOK_FORMAT").lower()
        webhook.send(config.get("CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT"), fmt, str(message.id), message.payload,
                     rendered, timeout=queue.timeout_seconds, client=http)
    elif message.method == "inbox":
        deliver_inbox(message, rendered)
    else:
        raise DeliveryError(f"unknown method {message.method!r}", retryable=False)


def deliver_inbox(message: NotificationMessage, rendered) -> None:
    # The message id is the inbox row id: a re-delivery after a crash finds the row and adds nothing.
    with transaction.atomic():
        item, created = InboxNotification.objects.get_or_create(
            id=message.id, defaults={"user_id": message.user_id, "template_id": message.template_id,
                                     "targets": message.targets, "title": rendered.title,
                                     "content": rendered.body_text, "actions": rendered.actions})
    if created:
        from notifications.services.inbox import inbox_json

        layer = get_channel_layer()
        if layer is not None:
            payload = {"type": "inbox.notification", "notification": inbox_json(item)}
            async_to_sync(layer.group_send)(inbox_group(message.user_id), payload)


def mark_sent(ids, token) -> None:
    """One UPDATE for the batch's successes (Coder's BulkMarkNotificationMessagesSent)."""
    if ids:
        NotificationMessage.objects.filter(pk__in=ids, lease_token=token).update(
            status=MessageStatus.SENT, attempt_count=F("attempt_count") + 1, sent_at=timezone.now(),
            lease_token=None, leased_until=None, next_retry_after=None, last_error="")


def mark_failed(message: NotificationMessage, token, error: DeliveryError, queue: QueueSettings) -> None:
    attempts = message.attempt_count + 1
    final = not error.retryable or attempts >= queue.max_attempts
    NotificationMessage.objects.filter(pk=message.pk, lease_token=token).update(
        status=MessageStatus.PERMANENT_FAILURE if final else MessageStatus.TEMPORARY_FAILURE,
        attempt_count=attempts, lease_token=None, leased_until=None, last_error=str(error)[:2000],
        next_retry_after=None if final else timezone.now() + timezone.timedelta(seconds=queue.retry_seconds))


def dispatch_batch(queue: QueueSettings | None = None, *, http: httpx.Client | None = None) -> int:
    """Lease one batch and deliver it; returns how many messages were leased (0: queue empty or paused)."""
    if NotificationSettings.current().notifier_paused:
        return 0
    queue = queue or QueueSettings.from_config()
    batch = lease(queue)
    sent = []
    for message in batch:
        try:
            # No transaction around the send: a slow receiver must not hold a database write lock.
            deliver(message, queue, http=http)
            sent.append(message.pk)
        except DeliveryError as exc:
            log.warning("notification %s (%s) failed: %s", message.id, message.method, exc)
            mark_failed(message, message.lease_token, exc, queue)
        except Exception as exc:  # a bug in one message must not block the rest of the batch
            log.exception("notification %s (%s) crashed", message.id, message.method)
            mark_failed(message, message.lease_token, DeliveryError(f"internal error: {type(exc).__name__}"), queue)
    if batch:
        mark_sent(sent, batch[0].lease_token)
    return len(batch)


def dispatch_until_empty(max_batches: int = 1000) -> int:
    """Drain what is deliverable now (bounded, so one task never runs forever)."""
    queue = QueueSettings.from_config()
    total = 0
    with httpx.Client() as http:  # one connection pool for the run
        for _ in range(max_batches):
            leased = dispatch_batch(queue, http=http)
            total += leased
            if leased < queue.lease_count:
                break
    return total
