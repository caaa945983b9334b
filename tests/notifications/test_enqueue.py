"""Enqueue rules: inbox always in addition, dedupe per recipient/template/payload per UTC day,
preferences per user, the event's transaction owns the messages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.services import users as user_services
from accounts.services.audit import Actor
from notifications import template_ids as ids
from notifications.models import NotificationMessage, NotificationPreference, NotificationTemplate
from notifications.services import enqueue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_templates_are_data_with_coders_ids():
    created = NotificationTemplate.objects.get(pk=ids.USER_ACCOUNT_CREATED)
    assert created.name == "User account created"
    for template_id in (ids.WORKSPACE_AUTOBUILD_FAILED, ids.WORKSPACE_DORMANT, ids.WORKSPACE_MARKED_FOR_DELETION,
                        ids.WORKSPACE_DELETED, ids.WORKSPACE_MANUALLY_UPDATED, ids.WORKSPACE_AUTOSTOP_REMINDER,
                        ids.TEMPLATE_DEPRECATED, ids.TEMPLATE_DELETED, ids.USER_ACCOUNT_SUSPENDED,
                        ids.USER_ACCOUNT_ACTIVATED, ids.TEST_NOTIFICATION, ids.WORKSPACE_MANUAL_BUILD_FAILED):
        assert NotificationTemplate.objects.filter(pk=template_id).exists(), template_id


@pytest.mark.parametrize("default, template_method, expected", [
    ("smtp", "", {"smtp", "inbox"}),
    ("webhook", "", {"webhook", "inbox"}),
    ("smtp", "webhook", {"webhook", "inbox"}),
])
def test_inbox_is_always_enqueued_in_addition(owner, monkeypatch, default, template_method, expected):
    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", default)
    NotificationTemplate.objects.filter(pk=ids.TEST_NOTIFICATION).update(method=template_method)
    assert {m.method for m in enqueue(ids.TEST_NOTIFICATION, owner, labels={})} == expected


def test_inbox_cannot_be_the_default_method(monkeypatch):
    from coderportal import config

    monkeypatch.setenv("CODER_NOTIFICATIONS_METHOD", "inbox")
    with pytest.raises(config.ConfigError):
        config.check([config.OPTIONS["CODER_NOTIFICATIONS_METHOD"]])


def test_same_event_twice_a_day_is_one_message_and_again_the_next_day(owner, monkeypatch):
    first = enqueue(ids.WORKSPACE_DELETED, owner, labels={"name": "ws", "reason": "r", "initiator": "x"})
    again = enqueue(ids.WORKSPACE_DELETED, owner, labels={"name": "ws", "reason": "r", "initiator": "x"})
    assert len(first) == 2 and again == []
    other = enqueue(ids.WORKSPACE_DELETED, owner, labels={"name": "ws2", "reason": "r", "initiator": "x"})
    assert len(other) == 2  # a different payload is a different message
    tomorrow = timezone.now() + timedelta(hours=24)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert len(enqueue(ids.WORKSPACE_DELETED, owner, labels={"name": "ws", "reason": "r", "initiator": "x"})) == 2
    assert NotificationMessage.objects.count() == 6


def test_duplicate_keeps_the_callers_transaction_usable(owner):
    with transaction.atomic():
        enqueue(ids.TEST_NOTIFICATION, owner, labels={"a": "1"})
        enqueue(ids.TEST_NOTIFICATION, owner, labels={"a": "1"})
        UserFactory(username="after-duplicate")  # would raise if the transaction were broken
    assert NotificationMessage.objects.count() == 2


def test_messages_roll_back_with_the_event(owner):
    with pytest.raises(RuntimeError), transaction.atomic():
        user_services.set_status(UserFactory(username="victim"), "suspended", actor=Actor.for_user(owner))
        assert NotificationMessage.objects.exists()
        raise RuntimeError("the event fails after enqueueing")
    assert not NotificationMessage.objects.exists()


def test_preference_stops_a_template_for_that_user_only(owner, monkeypatch):
    other_owner = UserFactory(username="owner-2", roles=["owner"])
    NotificationPreference.objects.create(user=owner, template_id=ids.USER_ACCOUNT_CREATED, disabled=True)
    user_services.create_user(actor=Actor.for_user(owner), username="newbie", email="n@example.com",
                              password="correct-horse-battery-9")
    recipients = set(NotificationMessage.objects.filter(template_id=ids.USER_ACCOUNT_CREATED)
                     .values_list("user__username", flat=True))
    assert recipients == {other_owner.username}


def test_account_events_go_to_owners_and_user_admins_and_the_user(owner, member):
    user_admin = UserFactory(username="uadmin", roles=["user-admin"])
    victim = UserFactory(username="victim")
    actor = Actor.for_user(owner)
    user_services.set_status(victim, "suspended", actor=actor)
    user_services.set_status(victim, "active", actor=actor)
    sent = set(NotificationMessage.objects.filter(method="inbox").values_list("template_id", "user__username"))
    assert sent == {(ids.USER_ACCOUNT_SUSPENDED, owner.username), (ids.USER_ACCOUNT_SUSPENDED, user_admin.username),
                    (ids.YOUR_ACCOUNT_SUSPENDED, "victim"),
                    (ids.USER_ACCOUNT_ACTIVATED, owner.username), (ids.USER_ACCOUNT_ACTIVATED, user_admin.username),
                    (ids.YOUR_ACCOUNT_ACTIVATED, "victim")}
