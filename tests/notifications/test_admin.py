"""The admin: message log with resend, templates with their method, one's own inbox with the
unread count in the header."""
from __future__ import annotations

import pytest
from django.test import Client

from notifications import template_ids as ids
from notifications.models import InboxNotification, MessageStatus, NotificationMessage, NotificationTemplate
from notifications.services import dispatcher, enqueue

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_message_log_shows_errors_and_resends(owner, member, webhook_receiver, monkeypatch):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    monkeypatch.setenv("CODER_NOTIFICATIONS_MAX_SEND_ATTEMPTS", "1")
    webhook_receiver.fail_first = 1
    message, _ = enqueue(ids.TEST_NOTIFICATION, member, labels={})
    dispatcher.dispatch_until_empty()
    message.refresh_from_db()
    assert message.status == MessageStatus.PERMANENT_FAILURE

    page = browser(owner).get("/admin/notifications/notificationmessage/")
    assert page.status_code == 200
    assert b"permanent_failure" in page.content and b"HTTP 503" in page.content
    assert browser(member).get("/admin/notifications/notificationmessage/").status_code == 403

    response = browser(owner).post("/admin/notifications/notificationmessage/",
                                   {"action": "resend", "_selected_action": [str(message.pk)]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempt_count) == (MessageStatus.PENDING, 0)
    dispatcher.dispatch_until_empty()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert [c["json"]["msg_id"] for c in webhook_receiver.accepted] == [str(message.id)]


def test_template_method_is_set_in_the_admin(owner, member):
    url = f"/admin/notifications/notificationtemplate/{ids.WORKSPACE_DELETED}/change/"
    listing = browser(owner).get("/admin/notifications/notificationtemplate/")
    assert b"Workspace Deleted" in listing.content and b"default (smtp)" in listing.content
    response = browser(owner).post(url, {"method": "webhook", "webhook_format": "teams"})
    assert response.status_code == 302, response.content[:2000]
    template = NotificationTemplate.objects.get(pk=ids.WORKSPACE_DELETED)
    assert (template.method, template.webhook_format) == ("webhook", "teams")
    assert browser(member).post(url, {"method": "smtp", "webhook_format": ""}).status_code == 403
    assert NotificationTemplate.objects.get(pk=ids.WORKSPACE_DELETED).method == "webhook"


def test_inbox_is_ones_own_with_unread_count_in_the_header(owner, member):
    for n in range(3):
        enqueue(ids.TEST_NOTIFICATION, member, labels={"n": str(n)})
    enqueue(ids.WORKSPACE_DELETED, owner, labels={"name": "owners-secret-ws", "reason": "r", "initiator": "x"})
    NotificationMessage.objects.exclude(method="inbox").delete()
    dispatcher.dispatch_until_empty()

    page = browser(member).get("/admin/notifications/inboxnotification/")
    assert page.status_code == 200
    assert b"Inbox (3 unread)" in page.content
    assert b"owners-secret-ws" not in page.content
    assert browser(owner).get("/admin/").content.count(b"Inbox (1 unread)") == 1

    first = InboxNotification.objects.filter(user=member).first()
    browser(member).post("/admin/notifications/inboxnotification/",
                         {"action": "mark_read", "_selected_action": [str(first.pk)]})
    assert b"Inbox (2 unread)" in browser(member).get("/admin/").content
    others = InboxNotification.objects.get(user=owner)
    assert browser(member).get(f"/admin/notifications/inboxnotification/{others.pk}/change/").status_code == 404
