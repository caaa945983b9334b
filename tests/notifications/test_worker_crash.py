"""A real Celery worker SIGKILLed while it holds leased messages: none is lost, none is
delivered twice. The receiver holds the crashed worker's request unanswered (as a network
would when the sender dies), so only the second worker's deliveries are accepted."""
from __future__ import annotations

import pytest

from notifications import template_ids as ids
from notifications.models import InboxNotification, MessageStatus, NotificationMessage
from notifications.services import enqueue
from notifications.tasks import dispatch_notifications
from tests.notifications.receivers import WebhookReceiver
from tests.workers import start_worker, wait_for

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
COUNT = 12


def test_sigkilled_worker_loses_and_duplicates_nothing(owner, tmp_path, monkeypatch):
    with WebhookReceiver() as receiver:
        env = {"CODER_NOTIFICATIONS_METHOD": "webhook", "CODER_NOTIFICATIONS_WEBHOOK_ENDPOINT": receiver.url,
               "CODER_NOTIFICATIONS_LEASE_COUNT": "5", "CODER_NOTIFICATIONS_LEASE_PERIOD": "3s"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        for n in range(COUNT):
            enqueue(ids.TEST_NOTIFICATION, owner, labels={"n": str(n)})
        webhook_ids = {str(i) for i in
                       NotificationMessage.objects.filter(method="webhook").values_list("id", flat=True)}
        assert len(webhook_ids) == COUNT

        receiver.hold_requests()
        first = start_worker(tmp_path, extra_env=env, queues_=["scheduler"])
        try:
            dispatch_notifications.delay()
            wait_for(lambda: receiver.held >= 1, timeout=60, message="the first worker to be mid-send")
            leased = NotificationMessage.objects.filter(status=MessageStatus.LEASED).count()
            assert leased >= 1
            first.kill()
        finally:
            first.stop()
        receiver.drop_held()

        second = start_worker(tmp_path, extra_env=env, queues_=["scheduler"])
        try:
            def all_sent():
                if NotificationMessage.objects.exclude(status=MessageStatus.SENT).exists():
                    dispatch_notifications.delay()  # the scheduler's tick, sooner
                    return False
                return True

            wait_for(all_sent, timeout=120, interval=1, message="every message to be sent")
        finally:
            second.stop()

    accepted = [call["json"]["msg_id"] for call in receiver.accepted]
    assert sorted(accepted) == sorted(webhook_ids)  # each exactly once
    assert InboxNotification.objects.filter(user=owner).count() == COUNT
