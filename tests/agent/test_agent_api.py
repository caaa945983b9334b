"""The agent API over HTTP (no agent process): token authentication, validation, the log
limit, and the client endpoints' authorization."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.agent.conftest import make_agent
from workspaces.agentapi import services
from workspaces.models import WorkspaceAgent


@pytest.fixture
def agent(member, org):
    return make_agent(member, org, "agent-token-1", metadata=[{"key": "cpu", "script": "echo 1", "interval": 5}])


def as_agent(token="agent-token-1"):
    client = APIClient()
    client.credentials(HTTP_CODER_SESSION_TOKEN=token)
    return client


@pytest.mark.parametrize("token, status", [("agent-token-1", 200), ("wrong", 401), (None, 401)])
def test_manifest_needs_the_agent_token(agent, token, status):
    client = as_agent(token) if token else APIClient()
    answer = client.get("/api/v2/workspaceagents/me/manifest")
    assert answer.status_code == status
    if status == 200:
        body = answer.json()
        assert body["agent_id"] == str(agent.pk) and body["owner_name"] == "member"
        assert body["environment_variables"] == {"FROM_CODER_ENV": "yes"}
        assert body["metadata"][0]["key"] == "cpu"


def test_user_token_is_not_an_agent_token(agent, member, client_for):
    assert client_for(member).get("/api/v2/workspaceagents/me/manifest").status_code == 401


def test_newest_build_agent_owns_a_reused_token(agent, member, org):
    from workspaces.models import WorkspaceBuild, WorkspaceResource

    old_build = agent.resource.build
    job = old_build.job.__class__.objects.create(organization=org, type="workspace_build", file=old_build.job.file)
    build = WorkspaceBuild.objects.create(workspace=old_build.workspace, template_version=old_build.template_version,
                                          build_number=2, transition="start", job=job, active=False)
    resource = WorkspaceResource.objects.create(build=build, job=job, transition="start", type="x", name="dev")
    newer = WorkspaceAgent.objects.create(resource=resource, name="main", auth_token_hash=agent.auth_token_hash)
    assert as_agent().get("/api/v2/workspaceagents/me/manifest").json()["agent_id"] == str(newer.pk)
    # The heartbeat's answer names it too: a running agent learns of the new build from it.
    stats = as_agent().post("/api/v2/workspaceagents/me/report-stats", {}, format="json")
    assert stats.json()["agent_id"] == str(newer.pk)


def test_lifecycle_validation_and_timestamps(agent):
    client = as_agent()
    bad = client.post("/api/v2/workspaceagents/me/report-lifecycle", {"state": "sleepy"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["validations"][0]["field"] == "state"
    assert client.post("/api/v2/workspaceagents/me/report-lifecycle", {"state": "starting"},
                       format="json").status_code == 204
    assert client.post("/api/v2/workspaceagents/me/lifecycle", {"state": "start_error"},
                       format="json").status_code == 204
    agent.refresh_from_db()
    assert agent.lifecycle_state == "start_error" and agent.started_at and agent.ready_at


def test_logs_round_trip_and_limit(agent, member, client_for, settings, monkeypatch):
    client = as_agent()
    answer = client.patch("/api/v2/workspaceagents/me/logs", {"logs": [
        {"output": "one", "level": "info"}, {"output": "two", "level": "error"}]}, format="json")
    assert answer.status_code == 200
    bad = client.patch("/api/v2/workspaceagents/me/logs", {"logs": [{"output": "x", "level": "loud"}]},
                       format="json")
    assert bad.status_code == 400
    logs = client_for(member).get(f"/api/v2/workspaceagents/{agent.pk}/logs").json()
    assert [(line["output"], line["level"]) for line in logs] == [("one", "info"), ("two", "error")]
    after = client_for(member).get(f"/api/v2/workspaceagents/{agent.pk}/logs?after={logs[0]['id']}").json()
    assert [line["output"] for line in after] == ["two"]

    big = "x" * 1000
    monkeypatch.setattr(services, "MAX_LOGS_BYTES", 2000)
    assert client.patch("/api/v2/workspaceagents/me/logs", {"logs": [{"output": big}]},
                        format="json").status_code == 200
    assert client.patch("/api/v2/workspaceagents/me/logs", {"logs": [{"output": big}]},
                        format="json").status_code == 413
    agent.refresh_from_db()
    assert agent.logs_overflowed and agent.logs_length == 1006


def test_metadata_and_stats(agent, member, client_for):
    client = as_agent()
    assert client.post("/api/v2/workspaceagents/me/metadata", {"metadata": [
        {"key": "cpu", "value": "12%", "error": ""}, {"key": "unknown", "value": "x"}]},
        format="json").status_code == 204
    stats = client.post("/api/v2/workspaceagents/me/report-stats", {"listening_ports": [
        {"process_name": "python", "network": "tcp", "port": 8000}]}, format="json")
    assert stats.status_code == 200 and stats.json()["report_interval_seconds"] > 0
    assert client.post("/api/v2/workspaceagents/me/report-stats", {"listening_ports": [{"port": 0}]},
                       format="json").status_code == 400
    user = client_for(member)
    ports = user.get(f"/api/v2/workspaceagents/{agent.pk}/listening-ports").json()
    assert ports == {"err": "", "ports": [{"process_name": "python", "network": "tcp", "port": 8000}]}
    agent.refresh_from_db()
    assert agent.metadata.get(key="cpu").value == "12%" and agent.first_connected_at
    assert client.post("/api/v2/workspaceagents/me/disconnect", {}, format="json").status_code == 204
    agent.refresh_from_db()
    assert agent.disconnected_at >= agent.last_connected_at


@pytest.mark.parametrize("who, status", [("member", 200), ("owner", 200), ("org_admin", 200), ("outsider", 404)])
@pytest.mark.parametrize("path", ["logs", "listening-ports"])
def test_client_endpoints_are_authorized(agent, request, client_for, who, status, path):
    user = request.getfixturevalue(who)
    assert client_for(user).get(f"/api/v2/workspaceagents/{agent.pk}/{path}").status_code == status


def test_client_endpoints_need_login(agent, api_client):
    assert api_client.get(f"/api/v2/workspaceagents/{agent.pk}/logs").status_code == 401


def test_startup_and_app_health(member, org):
    agent = make_agent(member, org, "agent-token-2", apps=[
        {"slug": "web", "healthcheck_url": "http://localhost:8080/", "healthcheck_interval": 5},
        {"slug": "plain"}])
    web, plain = agent.apps.get(slug="web"), agent.apps.get(slug="plain")
    client = as_agent("agent-token-2")
    assert client.post("/api/v2/workspaceagents/me/startup", {"version": "v2.0.0", "api_version": "2.0",
                       "expanded_directory": "/home/coder"}, format="json").status_code == 200
    agent.refresh_from_db()
    assert (agent.version, agent.api_version, agent.expanded_directory) == ("v2.0.0", "2.0", "/home/coder")
    ok = client.post("/api/v2/workspaceagents/me/app-health", {"healths": {str(web.pk): "healthy"}}, format="json")
    assert ok.status_code == 200
    web.refresh_from_db()
    assert web.health == "healthy"
    for healths in ({str(plain.pk): "healthy"}, {str(web.pk): "great"}, {"nope": "healthy"}):
        bad = client.post("/api/v2/workspaceagents/me/app-health", {"healths": healths}, format="json")
        assert bad.status_code == 400, healths
