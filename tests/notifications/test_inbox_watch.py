"""`/notifications/inbox/watch` pushes a new inbox notification to a connected websocket client
(no browser: a plain websocket client against the real ASGI application)."""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services.tokens import issue_token_for_tests
from coderportal.asgi import application
from notifications import template_ids as ids
from notifications.services import dispatcher, enqueue

pytestmark = pytest.mark.django_db(transaction=True)


def _deliver(user, n):
    enqueue(ids.TEST_NOTIFICATION, user, labels={"n": str(n)})
    dispatcher.dispatch_until_empty()


async def _watch(token: str, deliveries, query: str = "") -> list[dict]:
    communicator = WebsocketCommunicator(application, f"/api/v2/notifications/inbox/watch{query}",
                                         headers=[(b"coder-session-token", token.encode())])
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    for user, n in deliveries:
        await database_sync_to_async(_deliver)(user, n)
    received = []
    # receive_nothing waits without cancelling the application (receive_output's timeout would).
    while not await communicator.receive_nothing(timeout=3):
        received.append(await communicator.receive_json_from())
    await communicator.disconnect()
    return received


def test_watch_pushes_own_new_notifications_only(member, owner):
    token = issue_token_for_tests(member)
    received = async_to_sync(_watch)(token, [(owner, 1), (member, 2)])
    assert len(received) == 1
    (pushed,) = received
    assert pushed["notification"]["user_id"] == str(member.id)
    assert pushed["notification"]["template_id"] == str(ids.TEST_NOTIFICATION)
    assert pushed["notification"]["title"] == "A test notification"
    assert pushed["unread_count"] == 1


def test_watch_filters_by_template(member):
    token = issue_token_for_tests(member)
    assert async_to_sync(_watch)(token, [(member, 1)], f"?templates={ids.WORKSPACE_DELETED}") == []


def test_watch_refuses_anonymous():
    async def connect():
        communicator = WebsocketCommunicator(application, "/api/v2/notifications/inbox/watch")
        connected, code = await communicator.connect(timeout=10)
        await communicator.disconnect()
        return connected, code

    connected, code = async_to_sync(connect)()
    assert not connected and code == 4401
