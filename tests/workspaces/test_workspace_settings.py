"""Workspace settings through the API: rename, autostart, TTL, extend, automatic updates and
favorite — validation, template policy, permissions and audit rows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from templates_app.models import Template
from tests.templates_app.factories import TemplateFactory
from workspaces.models import Workspace, WorkspaceBuild


@pytest.fixture
def template(org, owner):
    return TemplateFactory(organization=org, created_by=owner)


def make_workspace(client, template, name="ws") -> str:
    response = client.post("/api/v2/users/me/workspaces", {"name": name, "template_id": str(template.id)},
                           format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def finish_latest(workspace_id, *, deadline=None, max_deadline=None, status="succeeded"):
    """What the build job would leave behind (the test transaction never runs it)."""
    build = Workspace.objects.get(pk=workspace_id).latest_build
    build.job.status = status
    build.job.completed_at = timezone.now()
    build.job.save()
    WorkspaceBuild.objects.filter(pk=build.pk).update(active=False, deadline=deadline, max_deadline=max_deadline)


@pytest.fixture
def ws(client_for, member, template):
    return make_workspace(client_for(member), template)


def test_rename(client_for, member, template, ws):
    client = client_for(member)
    make_workspace(client, template, name="taken")
    assert client.patch(f"/api/v2/workspaces/{ws}", {"name": "renamed"}, format="json").status_code == 204
    assert client.get(f"/api/v2/workspaces/{ws}").json()["name"] == "renamed"
    conflict = client.patch(f"/api/v2/workspaces/{ws}", {"name": "TAKEN"}, format="json")
    assert conflict.status_code == 409 and conflict.json()["validations"][0]["field"] == "name"
    bad = client.patch(f"/api/v2/workspaces/{ws}", {"name": "-bad-"}, format="json")
    assert bad.status_code == 400 and bad.json()["validations"][0]["field"] == "name"
    row = AuditLog.objects.filter(resource_type="workspace", action="write").get()
    assert row.diff["name"] == {"old": "ws", "new": "renamed", "secret": False}


def test_autostart(client_for, member, ws):
    client = client_for(member)
    url = f"/api/v2/workspaces/{ws}/autostart"
    assert client.put(url, {"schedule": "CRON_TZ=Europe/Paris 30 9 * * 1-5"}, format="json").status_code == 204
    got = client.get(f"/api/v2/workspaces/{ws}").json()
    assert got["autostart_schedule"] == "CRON_TZ=Europe/Paris 30 9 * * 1-5" and got["next_start_at"]
    for bad in ("30 9 1 * *", "CRON_TZ=Mars/Olympus 30 9 * * *", "whenever", 5):
        response = client.put(url, {"schedule": bad}, format="json")
        assert response.status_code == 400, bad
        assert response.json()["validations"][0]["field"] == "schedule"
    assert client.put(url, {"schedule": ""}, format="json").status_code == 204
    assert "autostart_schedule" not in client.get(f"/api/v2/workspaces/{ws}").json()  # Go: omitempty
    Template.objects.update(allow_user_autostart=False)
    assert client.put(url, {"schedule": "0 9 * * *"}, format="json").status_code == 400


def test_ttl(client_for, member, ws):
    client = client_for(member)
    url = f"/api/v2/workspaces/{ws}/ttl"
    assert client.put(url, {"ttl_ms": 3_600_000}, format="json").status_code == 204
    assert client.get(f"/api/v2/workspaces/{ws}").json()["ttl_ms"] == 3_600_000
    for bad in (5, "soon", 10**12):
        assert client.put(url, {"ttl_ms": bad}, format="json").status_code == 400, bad
    assert client.put(url, {"ttl_ms": None}, format="json").status_code == 204
    assert "ttl_ms" not in client.get(f"/api/v2/workspaces/{ws}").json()  # Go: omitempty
    Template.objects.update(allow_user_autostop=False)
    refused = client.put(url, {"ttl_ms": 3_600_000}, format="json")
    assert refused.status_code == 400 and refused.json()["validations"][0]["field"] == "ttl_ms"


def test_extend(client_for, member, ws):
    client = client_for(member)
    url = f"/api/v2/workspaces/{ws}/extend"
    soon = timezone.now() + timedelta(hours=2)
    still_building = client.put(url, {"deadline": soon.isoformat()}, format="json")
    assert still_building.status_code == 409 and still_building.json()["message"] == "Workspace is still building!"
    now = timezone.now()
    finish_latest(ws, deadline=now + timedelta(hours=1), max_deadline=now + timedelta(hours=8))
    target = now + timedelta(hours=3)
    response = client.put(url, {"deadline": target.isoformat()}, format="json")
    assert response.status_code == 200, response.content
    assert WorkspaceBuild.objects.get().deadline == target
    too_soon = "Cannot extend workspace: new deadline must be at least 30 minutes in the future"
    for bad, message in ((now - timedelta(minutes=1), too_soon), (now + timedelta(minutes=5), too_soon),
                         (now + timedelta(hours=9), "Cannot extend workspace beyond max deadline."),
                         ("tomorrow", None)):
        value = bad.isoformat() if hasattr(bad, "isoformat") else bad
        response = client.put(url, {"deadline": value}, format="json")
        assert response.status_code == 400, value
        assert response.json()["validations"][0]["field"] == "deadline"
        assert message is None or response.json()["message"] == message
    # Shortening is allowed down to 30 minutes away (Coder).
    shorter = now + timedelta(minutes=45)
    assert client.put(url, {"deadline": shorter.isoformat()}, format="json").status_code == 200


@pytest.mark.parametrize("transition, deadline, message", [
    ("start", None, "Workspace shutdown is manual."),
    ("stop", None, "Workspace must be started, current status: stop"),
])
def test_extend_conflicts_use_coders_texts(client_for, member, ws, transition, deadline, message):
    finish_latest(ws, deadline=deadline)
    WorkspaceBuild.objects.update(transition=transition)
    response = client_for(member).put(f"/api/v2/workspaces/{ws}/extend",
                                      {"deadline": (timezone.now() + timedelta(hours=2)).isoformat()}, format="json")
    assert response.status_code == 409 and response.json()["message"] == message


def test_automatic_updates(client_for, member, ws):
    client = client_for(member)
    url = f"/api/v2/workspaces/{ws}/autoupdates"
    assert client.put(url, {"automatic_updates": "always"}, format="json").status_code == 204
    assert client.get(f"/api/v2/workspaces/{ws}").json()["automatic_updates"] == "always"
    assert client.put(url, {"automatic_updates": "sometimes"}, format="json").status_code == 400
    assert client.put(url, {}, format="json").status_code == 400


def test_favorite_is_the_owners(client_for, member, owner, ws):
    client = client_for(member)
    url = f"/api/v2/workspaces/{ws}/favorite"
    assert client.put(url).status_code == 204
    assert client.get(f"/api/v2/workspaces/{ws}").json()["favorite"] is True
    assert client_for(owner).get(f"/api/v2/workspaces/{ws}").json()["favorite"] is False
    assert client_for(owner).put(url).status_code == 403
    assert client.delete(url).status_code == 204
    assert client.get(f"/api/v2/workspaces/{ws}").json()["favorite"] is False


@pytest.mark.parametrize("actor, status", [("owner", 204), ("org_admin", 204), ("member", 204),
                                           ("outsider", 404)])
def test_settings_permissions(client_for, actors, member, template, actor, status):
    from accounts.models import User

    ws = make_workspace(client_for(member), template)
    client = client_for(User.objects.get(pk=actors[actor].user_id))
    assert client.put(f"/api/v2/workspaces/{ws}/ttl", {"ttl_ms": 7_200_000}, format="json").status_code == status
    assert client.put(f"/api/v2/workspaces/{ws}/autoupdates", {"automatic_updates": "always"},
                      format="json").status_code == status
    assert client.patch(f"/api/v2/workspaces/{ws}", {"name": f"by-{actor.replace('_', '')}"},
                        format="json").status_code == status


def test_other_members_cannot_see_or_change(client_for, member, template, org):
    from tests.factories import UserFactory, add_member

    ws = make_workspace(client_for(member), template)
    peer = UserFactory(username="peer")
    add_member(peer, org)
    client = client_for(peer)
    assert client.put(f"/api/v2/workspaces/{ws}/ttl", {"ttl_ms": 7_200_000}, format="json").status_code == 404
    assert client.put(f"/api/v2/workspaces/{ws}/favorite").status_code == 404
    assert not AuditLog.objects.filter(resource_type="workspace", action="write").exists()
