"""Events delivered to real receivers on loopback: an SMTP server (aiosmtpd) and an HTTP server.

The dispatcher runs in-process here (the same code the Celery task runs); the worker tests
run it in a real Celery worker.
"""
from __future__ import annotations

import pytest

from accounts.services import users as user_services
from accounts.services.audit import Actor
from notifications import template_ids as ids
from notifications.models import InboxNotification, MessageStatus, NotificationMessage
from notifications.services import dispatcher, enqueue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CREATE = {"username": "newbie", "email": "newbie@example.com", "password": "correct-horse-battery-9",
          "login_type": "password"}


def one_webhook_message(user) -> NotificationMessage:
    (message, _inbox) = enqueue(ids.TEST_NOTIFICATION, user, labels={})
    assert message.method == "webhook"
    return message


@pytest.fixture
def admins(owner):
    """Recipients of account events: every owner and user admin (not plain members)."""
    return [owner, UserFactory(username="owner-2", roles=["owner"]),
            UserFactory(username="uadmin", roles=["user-admin"])]


def test_user_created_through_api_emails_each_owner_and_user_admin(admins, member, org, client_for, smtp_server,
                                                                    monkeypatch):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "smtp")
    response = client_for(admins[0]).post("/api/v2/users", {**CREATE, "organization_ids": [str(org.id)]},
                                          format="json")
    assert response.status_code == 201, response.content
    dispatcher.dispatch_until_empty()

    mails = smtp_server.messages
    assert sorted(m["to"][0] for m in mails) == sorted(u.email for u in admins)
    email = mails[0]["email"]
    assert email["Subject"] == 'User account "newbie" created'
    assert email["From"] == "coder@example.com"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "New user account newbie has been created." in text
    assert "This new user account was created by owner" in text
    assert "<strong>newbie</strong>" in html
    # The inbox copy of each email was delivered too.
    assert InboxNotification.objects.filter(template_id=ids.USER_ACCOUNT_CREATED).count() == len(admins)
    assert not NotificationMessage.objects.exclude(status=MessageStatus.SENT).exists()


def test_user_created_through_api_calls_the_webhook_once_per_recipient(owner, member, org, client_for,
                                                                       webhook_receiver, monkeypatch):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    response = client_for(owner).post("/api/v2/users", {**CREATE, "organization_ids": [str(org.id)]},
                                      format="json")
    assert response.status_code == 201, response.content
    dispatcher.dispatch_until_empty()

    assert len(webhook_receiver.accepted) == 1  # one owner, no user admin: one call
    call = webhook_receiver.accepted[0]
    body = call["json"]
    message = NotificationMessage.objects.get(method="webhook")
    assert call["headers"]["X-Message-Id"] == str(message.id) == body["msg_id"]
    assert body["payload"]["notification_template_id"] == str(ids.USER_ACCOUNT_CREATED)
    assert body["payload"]["notification_name"] == "User account created"
    assert body["payload"]["user_username"] == "owner"
    assert body["payload"]["labels"] == {"created_account_name": "newbie", "created_account_user_name": "newbie",
                                         "initiator": "owner"}
    assert body["title"] == 'User account "newbie" created'
    assert body["payload"]["actions"][0]["label"] == "View accounts"


def test_receiver_failing_twice_gets_the_message_on_the_third_attempt(owner, webhook_receiver, fast_retries,
                                                                      monkeypatch):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    webhook_receiver.fail_first = 2
    message = one_webhook_message(owner)

    for expected_attempts, expected_status in [(1, MessageStatus.TEMPORARY_FAILURE),
                                               (2, MessageStatus.TEMPORARY_FAILURE), (3, MessageStatus.SENT)]:
        dispatcher.dispatch_until_empty()
        message.refresh_from_db()
        assert (message.attempt_count, message.status) == (expected_attempts, expected_status)
    assert webhook_receiver.attempts == 3
    assert [c["json"]["msg_id"] for c in webhook_receiver.accepted] == [str(message.id)]
    assert "HTTP 503" not in message.last_error  # cleared once sent


def test_gives_up_after_max_send_attempts(owner, webhook_receiver, fast_retries, monkeypatch):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    monkeypatch.setenv("CODER_NOTIFICATIONS_MAX_SEND_ATTEMPTS", "2")
    webhook_receiver.fail_first = 10
    message = one_webhook_message(owner)
    for _ in range(4):
        dispatcher.dispatch_until_empty()
    message.refresh_from_db()
    assert (message.attempt_count, message.status) == (2, MessageStatus.PERMANENT_FAILURE)
    assert "HTTP 503" in message.last_error
    assert webhook_receiver.attempts == 2


def test_retry_waits_for_the_retry_interval(owner, webhook_receiver, monkeypatch):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    webhook_receiver.fail_first = 1
    message = one_webhook_message(owner)
    dispatcher.dispatch_until_empty()
    dispatcher.dispatch_until_empty()  # within the 5m retry interval: nothing is sent
    assert webhook_receiver.attempts == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.TEMPORARY_FAILURE and message.next_retry_after is not None


@pytest.mark.parametrize("fmt", ["slack", "teams"])
def test_chat_webhook_formats(owner, webhook_receiver, monkeypatch, fmt):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    monkeypatch.setenv("CODER_NOTIFICATIONS_WEBHOOK_FORMAT", fmt)
    message = one_webhook_message(owner)
    dispatcher.dispatch_until_empty()
    (call,) = webhook_receiver.accepted
    assert call["headers"]["X-Message-Id"] == str(message.id)
    body = call["json"]
    if fmt == "slack":
        assert body["text"] == "A test notification"
        assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "A test notification"}}
        assert body["blocks"][1]["text"]["text"].endswith("This is a test notification.")
        assert body["blocks"][2]["elements"][0]["type"] == "button"
    else:
        assert body["type"] == "message"
        card = body["attachments"][0]
        assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert card["content"]["type"] == "AdaptiveCard"
        assert card["content"]["body"][0]["text"] == "A test notification"
        assert card["content"]["actions"][0]["type"] == "Action.OpenUrl"


def test_template_webhook_format_overrides_the_deployment_format(owner, webhook_receiver, monkeypatch):
    from notifications.models import NotificationTemplate

    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    NotificationTemplate.objects.filter(pk=ids.USER_ACCOUNT_SUSPENDED).update(webhook_format="slack")
    user_services.set_status(UserFactory(username="victim"), "suspended", actor=Actor.for_user(owner))
    dispatcher.dispatch_until_empty()
    bodies = {c["json"].get("text") or c["json"].get("title"): c["json"] for c in webhook_receiver.accepted}
    assert "blocks" in bodies['User account "victim" suspended']  # the overridden template: Slack
    assert bodies["Your account has been suspended"]["_version"] == "1.1"  # the others: Coder's shape


def test_paused_notifier_sends_nothing(owner, webhook_receiver, monkeypatch):
    from notifications.models import NotificationSettings

    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "webhook")
    NotificationSettings.objects.update_or_create(pk=1, defaults={"notifier_paused": True})
    user_services.set_status(UserFactory(username="victim"), "suspended", actor=Actor.for_user(owner))
    assert dispatcher.dispatch_until_empty() == 0
    assert webhook_receiver.attempts == 0
