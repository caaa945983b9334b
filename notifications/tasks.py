"""Celery tasks of notifications: the dispatcher, woken by enqueue and by the scheduler."""
from celery import shared_task

from notifications.services import dispatcher


@shared_task(name="notifications.dispatch", ignore_result=True, acks_late=False)
def dispatch_notifications() -> int:
    # acks_late=False: the queue lives in the database (leases), so a lost task loses nothing.
    return dispatcher.dispatch_until_empty()


@shared_task(name="notifications.purge", ignore_result=True)
def purge_old_messages() -> int:
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import MessageStatus, NotificationMessage

    # Coder deletes messages untouched for 7 days; failures stay visible that long in the admin.
    cutoff = timezone.now() - timedelta(days=7)
    deleted, _ = NotificationMessage.objects.filter(
        updated_at__lt=cutoff, status__in=[MessageStatus.SENT, MessageStatus.PERMANENT_FAILURE]).delete()
    return deleted
