"""Workspace builds through the API: history, logs (JSON and SSE), parameters, resources,
state, cancel, conflicts and bad input. Echo provisioner; jobs run inline."""
from __future__ import annotations

import base64
import json

import pytest
from asgiref.sync import async_to_sync

from accounts.models import AuditLog
from tests.templates_app.factories import TemplateFactory
from tests.workspaces.api_helpers import build, create, echo, new_template  # noqa: F401
from workspaces.models import WorkspaceAgent, WorkspaceBuild

real = pytest.mark.django_db(transaction=True)


@pytest.fixture
def template(owner, org, echo, django_capture_on_commit_callbacks):
    return new_template(owner, org, django_capture_on_commit_callbacks)[0]


@pytest.fixture
def workspace_id(client_for, member, template, django_capture_on_commit_callbacks):
    response = create(client_for(member), django_capture_on_commit_callbacks, template_id=str(template.id))
    assert response.status_code == 201, response.content
    return response.json()["id"]


def collect_stream(response) -> str:
    async def collect():
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)().decode()


@real
def test_build_json_logs_and_history(client_for, member, workspace_id, django_capture_on_commit_callbacks):
    client = client_for(member)
    first = client.get(f"/api/v2/workspaces/{workspace_id}/builds").json()[0]
    assert {"id", "workspace_owner_name", "template_version_name", "initiator_name", "matched_provisioners",
            "reason", "deadline", "max_deadline", "daily_cost", "status", "job", "resources"} <= set(first)
    assert first["initiator_name"] == "member" and first["reason"] == "initiator"
    assert first["job"]["input"]["workspace_build_id"] == first["id"]
    assert client.get(f"/api/v2/workspacebuilds/{first['id']}").json()["id"] == first["id"]
    logs = client.get(f"/api/v2/workspacebuilds/{first['id']}/logs").json()
    outputs = [entry["output"] for entry in logs]
    assert "creating dev" in outputs and "dev ready" in outputs
    after = client.get(f"/api/v2/workspacebuilds/{first['id']}/logs?after={logs[0]['id']}").json()
    assert len(after) == len(logs) - 1
    before = client.get(f"/api/v2/workspacebuilds/{first['id']}/logs?before={logs[1]['id']}").json()
    assert [entry["id"] for entry in before] == [logs[0]["id"]]
    body = collect_stream(client.get(f"/api/v2/workspacebuilds/{first['id']}/logs?follow=true"))
    assert body.index('"creating dev"') < body.index('"dev ready"') < body.index("event: complete")
    resources = client.get(f"/api/v2/workspacebuilds/{first['id']}/resources").json()
    assert resources[0]["agents"][0]["name"] == "main"
    assert build(client, django_capture_on_commit_callbacks, workspace_id, transition="stop").status_code == 201
    since = client.get(f"/api/v2/workspaces/{workspace_id}/builds?since={first['created_at']}&limit=1").json()
    assert [b["build_number"] for b in since] == [2]
    assert len(client.get(f"/api/v2/workspaces/{workspace_id}/builds?offset=1").json()) == 1


@real
@pytest.mark.parametrize("body, field", [
    ({}, "transition"),
    ({"transition": "reboot"}, "transition"),
    ({"transition": "start", "template_version_id": "nope"}, "template_version_id"),
    ({"transition": "start", "template_version_id": "00000000-0000-0000-0000-000000000001"}, "template_version_id"),
    ({"transition": "start", "rich_parameter_values": [{"name": "cpu", "value": "0"}]},
     "rich_parameter_values.cpu"),
    ({"transition": "start", "rich_parameter_values": [{"name": "disk", "value": "20"}]},
     "rich_parameter_values.disk"),
    ({"transition": "stop", "rich_parameter_values": [{"name": "cpu", "value": "3"}]}, "rich_parameter_values"),
    ({"transition": "start", "orphan": True}, "orphan"),
    ({"transition": "start", "log_level": "trace"}, "log_level"),
    ({"transition": "start", "orphan": "perhaps"}, "orphan"),
])
def test_bad_build_requests_are_400_and_create_nothing(client_for, member, workspace_id, body, field,
                                                       django_capture_on_commit_callbacks):
    response = build(client_for(member), django_capture_on_commit_callbacks, workspace_id, **body)
    assert response.status_code == 400, response.content
    assert field in {v["field"] for v in response.json()["validations"]}
    assert WorkspaceBuild.objects.count() == 1


@real
def test_parameters_carry_forward_and_change(client_for, member, workspace_id, django_capture_on_commit_callbacks):
    client = client_for(member)
    response = build(client, django_capture_on_commit_callbacks, workspace_id, transition="start",
                     rich_parameter_values=[{"name": "region", "value": "us"}])
    assert response.status_code == 201, response.content
    values = {p["name"]: p["value"] for p in
              client.get(f"/api/v2/workspacebuilds/{response.json()['id']}/parameters").json()}
    assert values["region"] == "us" and values["project"] == "core"


@real
def test_state_read_write_only_for_template_admins(client_for, owner, member, workspace_id,
                                                   django_capture_on_commit_callbacks):
    build_id = client_for(member).get(f"/api/v2/workspaces/{workspace_id}").json()["latest_build"]["id"]
    url = f"/api/v2/workspacebuilds/{build_id}/state"
    assert client_for(member).get(url).status_code == 403
    state = client_for(owner).get(url)
    assert state.status_code == 200 and json.loads(state.content)["version"] == 4
    new_state = b'{"version": 4, "serial": 7}'
    assert client_for(member).generic("PUT", url, new_state, content_type="application/json").status_code == 403
    assert client_for(owner).generic("PUT", url, new_state, content_type="application/json").status_code == 204
    assert client_for(owner).get(url).content == new_state
    sdk_body = json.dumps({"state": base64.b64encode(b'{"version": 4, "serial": 8}').decode()})
    assert client_for(owner).generic("PUT", url, sdk_body, content_type="application/json").status_code == 204
    assert json.loads(client_for(owner).get(url).content)["serial"] == 8
    for bad in (b"not json", b"[1]", b'{"state": 3}', b'{"state": "***"}'):
        assert client_for(owner).generic("PUT", url, bad, content_type="application/json").status_code == 400
    assert AuditLog.objects.filter(resource_type="workspace_build", action="write").count() == 2


@real
def test_cancel_finished_build_is_400(client_for, owner, workspace_id):
    build_id = client_for(owner).get(f"/api/v2/workspaces/{workspace_id}").json()["latest_build"]["id"]
    assert client_for(owner).patch(f"/api/v2/workspacebuilds/{build_id}/cancel").status_code == 400


@real
def test_outsider_sees_no_builds(client_for, outsider, member, workspace_id):
    client = client_for(outsider)
    build_id = WorkspaceBuild.objects.get().pk
    assert client.get(f"/api/v2/workspaces/{workspace_id}/builds").status_code == 404
    for suffix in ("", "/logs", "/parameters", "/resources", "/state"):
        assert client.get(f"/api/v2/workspacebuilds/{build_id}{suffix}").status_code == 404
    assert client.patch(f"/api/v2/workspacebuilds/{build_id}/cancel").status_code == 404
    assert client.get("/api/v2/users/member/workspace/ws/builds/1").status_code == 404
    agent_id = WorkspaceAgent.objects.get().pk
    assert client.get(f"/api/v2/workspaceagents/{agent_id}").status_code == 404
    member_client = client_for(member)
    assert member_client.get(f"/api/v2/workspaceagents/{agent_id}").status_code == 200
    assert member_client.get("/api/v2/users/member/workspace/ws/builds/99999999999").status_code == 404
    assert member_client.get("/api/v2/users/member/workspace/ws/builds/7").status_code == 404


# --- pending builds: the test transaction never commits, so queued jobs never run ---------
@pytest.fixture
def pending_workspace(client_for, member, org, owner):
    template = TemplateFactory(organization=org, created_by=owner)
    response = client_for(member).post("/api/v2/users/me/workspaces",
                                       {"name": "pending", "template_id": str(template.id)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["latest_build"]["status"] == "pending"
    return response.json()


def test_second_build_while_one_is_active_is_409(client_for, member, pending_workspace):
    client = client_for(member)
    response = client.post(f"/api/v2/workspaces/{pending_workspace['id']}/builds", {"transition": "stop"},
                           format="json")
    assert response.status_code == 409, response.content
    assert WorkspaceBuild.objects.count() == 1
    job = pending_workspace["latest_build"]["job"]
    assert job["queue_position"] == 1 and job["queue_size"] == 1


def test_cancel_pending_build(client_for, member, pending_workspace):
    client = client_for(member)
    build_id = pending_workspace["latest_build"]["id"]
    response = client.patch(f"/api/v2/workspacebuilds/{build_id}/cancel")
    assert response.status_code == 200, response.content
    got = client.get(f"/api/v2/workspacebuilds/{build_id}").json()
    assert got["status"] == "canceled" and got["job"]["status"] == "canceled"
    # The workspace is free for a new build again.
    assert client.post(f"/api/v2/workspaces/{pending_workspace['id']}/builds", {"transition": "stop"},
                       format="json").status_code == 201


def test_cancel_refused_when_template_disallows(client_for, member, org_admin, pending_workspace):
    from templates_app.models import Template

    Template.objects.update(allow_user_cancel_workspace_jobs=False)
    build_id = pending_workspace["latest_build"]["id"]
    assert client_for(member).patch(f"/api/v2/workspacebuilds/{build_id}/cancel").status_code == 403
    assert client_for(org_admin).patch(f"/api/v2/workspacebuilds/{build_id}/cancel").status_code == 200


def test_build_logs_websocket_finds_only_readable_builds(member, outsider, pending_workspace):
    from accounts import rbac
    from workspaces.api.builds import BuildLogsConsumer

    build = WorkspaceBuild.objects.get()
    consumer = BuildLogsConsumer()
    assert consumer.get_job_id(rbac.subject_for(member), build_id=build.pk) == build.job_id
    assert consumer.get_job_id(rbac.subject_for(outsider), build_id=build.pk) is None


async def _ws_messages(build_id, token: str) -> list[dict]:
    from channels.testing import WebsocketCommunicator

    from coderportal.asgi import application

    communicator = WebsocketCommunicator(application, f"/api/v2/workspacebuilds/{build_id}/logs?follow=true",
                                         headers=[(b"coder-session-token", token.encode())])
    connected, code = await communicator.connect(timeout=30)
    if not connected:
        return [{"type": "refused", "code": code}]
    messages = []
    while True:
        message = await communicator.receive_output(timeout=30)
        messages.append(message)
        if message["type"] == "websocket.close":
            break
    await communicator.disconnect()
    return messages


@real
def test_build_logs_over_websocket(member, outsider, workspace_id):
    from accounts.services import tokens

    build_id = WorkspaceBuild.objects.get().pk
    messages = async_to_sync(_ws_messages)(build_id, tokens.issue(member, login_type="password")[1])
    outputs = [json.loads(m["text"])["output"] for m in messages if m["type"] == "websocket.send"]
    assert "creating dev" in outputs and "dev ready" in outputs
    assert messages[-1]["type"] == "websocket.close"
    refused = async_to_sync(_ws_messages)(build_id, tokens.issue(outsider, login_type="password")[1])
    assert refused[0]["type"] in ("refused", "websocket.close")
    assert not any(m["type"] == "websocket.send" for m in refused)
