"""Watching a workspace (SSE `/watch` and websocket `/watch-ws`): the JSON comes at once and
again when a build is queued or a deadline moves, woken by the channel layer. And account
dormancy after 90 days, which ends autostart."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.models import AuditLog, User
from accounts.services.audit import Actor
from accounts.services.tokens import issue_token_for_tests
from coderportal.asgi import application
from tests.lifecycle.conftest import new_workspace, set_latest
from workspaces.lifecycle import changes, dormant_users, executor, watch
from workspaces.models import Workspace
from workspaces.services import builds as build_services
from workspaces.services import settings as settings_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _short_lived_connections():
    """Async code reaches the database from worker threads; with persistent connections those
    would outlive the test (and block dropping the PostgreSQL test database)."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    saved = settings_dict.get("CONN_MAX_AGE", 0)
    settings_dict["CONN_MAX_AGE"] = 0
    yield
    settings_dict["CONN_MAX_AGE"] = saved


def _running(member, org, template):
    workspace = new_workspace(member, org, template)
    set_latest(workspace, created_at=timezone.now(), deadline=timezone.now() + timedelta(hours=2))
    return Workspace.objects.get(pk=workspace.pk)


def test_sse_watch_pushes_on_change(client_for, member, org, template):
    workspace = _running(member, org, template)
    response = client_for(member).get(f"/api/v2/workspaces/{workspace.pk}/watch")
    actor = Actor.for_user(member)
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"

    async def read_events():
        stream = response.streaming_content.__aiter__()
        events = []
        while len([e for e in events if e.startswith("event: data")]) < 2:
            chunk = await asyncio.wait_for(stream.__anext__(), timeout=30)
            events.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
            if len(events) == 2:  # the ping and the first rendering: now change the deadline
                await sync_to_async(settings_services.extend)(
                    workspace, actor=actor, deadline=timezone.now() + timedelta(hours=5))
        await stream.aclose()
        return events

    events = asyncio.run(read_events())
    first, second = (json.loads(e.split("data: ", 1)[1]) for e in events if e.startswith("event: data"))
    assert first["id"] == second["id"] == str(workspace.pk)
    assert first["latest_build"]["deadline"] != second["latest_build"]["deadline"]


def test_sse_watch_of_an_unreadable_workspace_is_404(client_for, outsider, member, org, template):
    workspace = _running(member, org, template)
    assert client_for(outsider).get(f"/api/v2/workspaces/{workspace.pk}/watch").status_code == 404


def test_websocket_watch_pushes_when_a_build_is_queued(member, outsider, org, template, monkeypatch):
    monkeypatch.setattr("templates_app.services.jobs.enqueue", lambda job: None)
    workspace = _running(member, org, template)
    token = issue_token_for_tests(member)
    outsider_token = issue_token_for_tests(outsider)
    actor = Actor.for_user(member)

    async def scenario():
        path = f"/api/v2/workspaces/{workspace.pk}/watch-ws"
        communicator = WebsocketCommunicator(application, path, headers=[(b"coder-session-token", token.encode())])
        connected, _ = await communicator.connect()
        assert connected
        first = json.loads(await communicator.receive_from(timeout=30))
        await sync_to_async(build_services.request_build)(workspace, actor=actor, transition="stop")
        second = json.loads(await communicator.receive_from(timeout=30))
        await communicator.disconnect()
        refused = WebsocketCommunicator(application, path,
                                        headers=[(b"coder-session-token", outsider_token.encode())])
        await refused.connect()
        closed = await refused.receive_output(timeout=10)
        await refused.disconnect()
        return first, second, closed

    first, second, closed = asyncio.run(scenario())
    assert first["type"] == "data" and first["data"]["latest_build"]["transition"] == "start"
    assert second["data"]["latest_build"]["transition"] == "stop"
    assert closed == {"type": "websocket.close", "code": 4404}


def test_watchers_wait_on_the_channel_layer_not_the_database(member, org, template, monkeypatch):
    """Between changes a watcher sleeps on its channel (no reads until the slow re-check); a
    change notice wakes it at once."""
    workspace = _running(member, org, template)
    subject = Actor.for_user(member).subject
    renders = []
    real_render = watch._render
    monkeypatch.setattr(watch, "_render", lambda *a: renders.append(1) or real_render(*a))

    async def scenario():
        follower = watch.follow(subject, workspace.pk, member.pk, recheck=3600)
        await follower.__anext__()
        waiting = asyncio.ensure_future(follower.__anext__())
        await asyncio.sleep(1.0)
        idle_renders = len(renders)
        await sync_to_async(Workspace.objects.filter(pk=workspace.pk).update)(dormant_at=timezone.now())
        await sync_to_async(changes.publish)(workspace.pk)
        changed = await asyncio.wait_for(waiting, timeout=30)
        await follower.aclose()
        return idle_renders, changed

    idle_renders, changed = asyncio.run(scenario())
    assert idle_renders == 1 and changed["dormant_at"] is not None


NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def test_users_unseen_for_90_days_become_dormant_and_lose_autostart(member, owner, org, template, daemon):
    User.objects.filter(pk=member.pk).update(status="active", last_seen_at=NOW - timedelta(days=91))
    User.objects.filter(pk=owner.pk).update(status="active", last_seen_at=NOW - timedelta(days=89))
    workspace = new_workspace(member, org, template, autostart_schedule="0 9 * * *")
    set_latest(workspace, transition="stop", created_at=NOW - timedelta(days=1))
    assert dormant_users.mark_dormant_users(now=NOW) == 1
    assert User.objects.get(pk=member.pk).status == "dormant"
    assert User.objects.get(pk=owner.pk).status == "active"
    assert AuditLog.objects.filter(resource_type="user", resource_id=str(member.pk)).exists()
    assert executor.run_once(now=NOW).transitions == {}
    User.objects.filter(pk=member.pk).update(status="active")
    assert executor.run_once(now=NOW).transitions == {str(workspace.pk): "start"}
