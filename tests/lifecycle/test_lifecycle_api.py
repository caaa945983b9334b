"""Lifecycle API: deadlines set when a start build succeeds (real job runner, echo provisioner),
quiet hours, dormancy, resolve-autostart, the hourly-autostart refusal and the workspace's
"why still running" field."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from templates_app.models import Template
from tests.workspaces.api_helpers import build, create
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.services import activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace_id(client_for, member, template, django_capture_on_commit_callbacks):
    response = create(client_for(member), django_capture_on_commit_callbacks, template_id=str(template.id),
                      ttl_ms=2 * 3_600_000)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_start_build_gets_deadline_stop_build_none(client_for, member, workspace_id,
                                                   django_capture_on_commit_callbacks):
    start = WorkspaceBuild.objects.get(workspace_id=workspace_id)
    assert start.job.status == "succeeded"
    assert abs(start.deadline - (start.job.completed_at + timedelta(hours=2))) < timedelta(seconds=1)
    assert start.max_deadline is None
    response = build(client_for(member), django_capture_on_commit_callbacks, workspace_id, transition="stop")
    assert response.status_code == 201
    stop = WorkspaceBuild.objects.get(workspace_id=workspace_id, transition="stop")
    assert stop.job.status == "succeeded" and stop.deadline is None and stop.max_deadline is None


def test_template_default_ttl_and_autostop_requirement(client_for, member, template, settings,
                                                        django_capture_on_commit_callbacks):
    Template.objects.filter(pk=template.pk).update(allow_user_autostop=False, default_ttl_ms=3_600_000,
                                                   autostop_requirement_days_of_week=["saturday"])
    response = create(client_for(member), django_capture_on_commit_callbacks, template_id=str(template.id),
                      name="req")
    build_row = WorkspaceBuild.objects.get(workspace_id=response.json()["id"])
    # The user's TTL is not allowed: the template's 1 h applies; quiet hours (UTC midnight) on Saturday cap it.
    assert build_row.max_deadline.weekday() == 5 and build_row.max_deadline.hour == 0
    expected = min(build_row.max_deadline, build_row.job.completed_at + timedelta(hours=1))
    assert abs(build_row.deadline - expected) < timedelta(seconds=1)
    got = client_for(member).get(f"/api/v2/workspaces/{response.json()['id']}").json()["latest_build"]
    assert got["deadline"] and got["max_deadline"]


def test_quiet_hours_get_and_put(client_for, member, owner):
    client = client_for(member)
    got = client.get("/api/v2/users/me/quiet-hours").json()
    assert got == {**got, "raw_schedule": "CRON_TZ=UTC 0 0 * * *", "user_set": False, "user_can_set": True,
                   "time": "00:00", "timezone": "UTC"}
    response = client.put("/api/v2/users/me/quiet-hours", {"schedule": "CRON_TZ=Europe/Paris 30 1 * * *"},
                          format="json")
    assert response.status_code == 200, response.content
    assert response.json()["user_set"] is True and response.json()["time"] == "01:30"
    assert response.json()["timezone"] == "Europe/Paris"
    for bad in ("0 1 * * 1", "0 1,2 * * *", "nonsense"):
        refused = client.put("/api/v2/users/me/quiet-hours", {"schedule": bad}, format="json")
        assert refused.status_code == 400 and refused.json()["validations"][0]["field"] == "schedule"
    assert client.put("/api/v2/users/me/quiet-hours", {"schedule": ""}, format="json").json()["user_set"] is False
    assert AuditLog.objects.filter(resource_type="user", action="write").count() == 2
    # Another member may not change (or read) a user's quiet hours; the owner role may.
    assert client.put(f"/api/v2/users/{owner.username}/quiet-hours", {"schedule": ""},
                      format="json").status_code in (403, 404)
    assert client_for(owner).put(f"/api/v2/users/{member.username}/quiet-hours",
                                 {"schedule": "0 3 * * *"}, format="json").status_code == 200


def test_custom_quiet_hours_can_be_disallowed(client_for, member, monkeypatch):
    monkeypatch.setenv("CODER_ALLOW_CUSTOM_QUIET_HOURS", "false")
    client = client_for(member)
    assert client.get("/api/v2/users/me/quiet-hours").json()["user_can_set"] is False
    assert client.put("/api/v2/users/me/quiet-hours", {"schedule": "0 3 * * *"}, format="json").status_code == 403


def test_dormant_toggle_and_start_refused(client_for, member, outsider, workspace_id,
                                          django_capture_on_commit_callbacks):
    client = client_for(member)
    url = f"/api/v2/workspaces/{workspace_id}/dormant"
    Template.objects.update(time_til_dormant_autodelete_ms=86_400_000)
    response = client.put(url, {"dormant": True}, format="json")
    assert response.status_code == 200 and response.json()["dormant_at"] and response.json()["deleting_at"]
    assert client.put(url, {"dormant": True}, format="json").status_code == 304
    refused = build(client, django_capture_on_commit_callbacks, workspace_id, transition="start")
    assert refused.status_code == 403
    woke = client.put(url, {"dormant": False}, format="json")
    assert woke.status_code == 200 and woke.json()["dormant_at"] is None and woke.json()["deleting_at"] is None
    assert client.put(url, {"dormant": "maybe"}, format="json").status_code == 400
    assert client_for(outsider).put(url, {"dormant": True}, format="json").status_code == 404


def test_resolve_autostart(client_for, member, outsider, workspace_id):
    url = f"/api/v2/workspaces/{workspace_id}/resolve-autostart"
    assert client_for(member).get(url).json() == {"parameter_mismatch": False}
    assert client_for(outsider).get(url).status_code == 404


@pytest.mark.parametrize("schedule", ["0 * * * *", "*/15 9 * * *", "0,30 9 * * *"])
def test_hourly_autostart_is_refused(client_for, member, workspace_id, schedule):
    response = client_for(member).put(f"/api/v2/workspaces/{workspace_id}/autostart", {"schedule": schedule},
                                      format="json")
    assert response.status_code == 400
    assert "at most once a day" in response.json()["validations"][0]["detail"]


def test_next_start_at_follows_allowed_days(client_for, member, workspace_id):
    Template.objects.update(autostart_requirement_days_of_week=["monday"])
    client = client_for(member)
    client.put(f"/api/v2/workspaces/{workspace_id}/autostart", {"schedule": "0 9 * * *"}, format="json")
    got = Workspace.objects.get(pk=workspace_id).next_start_at
    assert got.weekday() == 0 and got.hour == 9 and got > timezone.now()


def test_workspace_says_why_it_is_still_running(client_for, member, workspace_id):
    WorkspaceBuild.objects.filter(workspace_id=workspace_id).update(deadline=timezone.now() + timedelta(minutes=5))
    assert client_for(member).get(f"/api/v2/workspaces/{workspace_id}").json()["last_activity_bump"] is None
    activity.bump(workspace_id, now=timezone.now(), source="ssh")
    bump = client_for(member).get(f"/api/v2/workspaces/{workspace_id}").json()["last_activity_bump"]
    assert bump["source"] == "ssh" and bump["at"]


def test_template_schedule_changes_reach_only_its_workspaces(client_for, owner, member, org, template, workspace_id,
                                                            django_capture_on_commit_callbacks):
    from tests.workspaces.api_helpers import new_template

    other_template = new_template(owner, org, django_capture_on_commit_callbacks, name="other")[0]
    other = create(client_for(member), django_capture_on_commit_callbacks, template_id=str(other_template.id),
                   name="other").json()["id"]
    for ws in (workspace_id, other):
        client_for(member).put(f"/api/v2/workspaces/{ws}/autostart", {"schedule": "0 9 * * *"}, format="json")
    before_other = Workspace.objects.get(pk=other).next_start_at
    admin = client_for(owner)
    response = admin.patch(f"/api/v2/templates/{template.id}",
                           {"autostart_requirement": {"days_of_week": ["sunday"]}}, format="json")
    assert response.status_code == 200, response.content
    assert Workspace.objects.get(pk=workspace_id).next_start_at.weekday() == 6
    assert Workspace.objects.get(pk=other).next_start_at == before_other
    dormant_at = timezone.now()
    Workspace.objects.filter(pk__in=[workspace_id, other]).update(dormant_at=dormant_at)
    admin.patch(f"/api/v2/templates/{template.id}", {"time_til_dormant_autodelete_ms": 86_400_000}, format="json")
    assert Workspace.objects.get(pk=workspace_id).deleting_at == dormant_at + timedelta(days=1)
    assert Workspace.objects.get(pk=other).deleting_at is None


def test_autostop_requirement_added_later_caps_running_builds_with_grace(client_for, owner, template, workspace_id):
    build = WorkspaceBuild.objects.get(workspace_id=workspace_id)
    WorkspaceBuild.objects.filter(pk=build.pk).update(deadline=timezone.now() + timedelta(days=6))
    response = client_for(owner).patch(f"/api/v2/templates/{template.id}",
                                       {"autostop_requirement": {"days_of_week": ["monday", "tuesday", "wednesday",
                                                                                  "thursday", "friday", "saturday",
                                                                                  "sunday"]}}, format="json")
    assert response.status_code == 200, response.content
    build.refresh_from_db()
    # Daily quiet hours at UTC midnight: the next one after the start (at least 2 h from now).
    assert build.max_deadline is not None
    assert build.max_deadline >= timezone.now() + timedelta(hours=1, minutes=59)
    assert build.max_deadline <= timezone.now() + timedelta(days=1, hours=2)
    assert build.deadline == build.max_deadline
