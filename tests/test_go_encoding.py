"""Responses follow Go's encoding of Coder's structs (codersdk): `omitempty` fields are left
out when empty, `time.Time` fields are never null, `build_time_stats` keys are `P50`/`P95`,
and audit rows name a UUID and one of Coder's resource types."""
from __future__ import annotations

import uuid

import pytest

from accounts.models import AuditLog
from accounts.services.audit import CODER_RESOURCE_TYPES
from coderportal.api.encoding import GO_ZERO_TIME
from tests.templates_app.archive_helpers import echo_template
from tests.workspaces.api_helpers import echo, new_template, new_version, script  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_times_coder_always_sends_are_never_null(client_for, owner, org):
    client = client_for(owner)
    created = client.post("/api/v2/users", {"email": "new@example.com", "username": "newbie",
                                            "password": "correct-horse-battery-42!"}, format="json").json()
    assert created["last_seen_at"] == GO_ZERO_TIME  # never logged in
    assert client.get(f"/api/v2/users/{created['id']}").json()["last_seen_at"] == GO_ZERO_TIME
    members = client.get(f"/api/v2/organizations/{org.name}/members").json()
    assert {m["username"]: m["last_seen_at"] for m in members}["newbie"] == GO_ZERO_TIME

    assert client.post("/api/v2/users/newbie/keys/tokens", {"token_name": "unused"}, format="json").status_code == 201
    [token] = client.get("/api/v2/users/newbie/keys/tokens").json()
    assert token["last_used"] == GO_ZERO_TIME


def test_build_time_stats_use_coder_keys(client_for, owner, org, echo, django_capture_on_commit_callbacks):
    template, _ = new_template(owner, org, django_capture_on_commit_callbacks)
    stats = client_for(owner).get(f"/api/v2/templates/{template.id}").json()["build_time_stats"]
    assert stats == {t: {"P50": None, "P95": None} for t in ("start", "stop", "delete")}


def test_audit_rows_name_a_uuid_and_a_coder_resource_type(client_for, owner, member):
    client = client_for(member)
    assert client.post("/api/v2/users/me/keys/tokens", {"token_name": "ci"}, format="json").status_code == 201
    key_id = client.get("/api/v2/users/me/keys/tokens/ci").json()["id"]
    assert client.delete(f"/api/v2/users/me/keys/{key_id}").status_code in (200, 204)
    upload = client.generic("POST", "/api/v2/files", echo_template(script()), content_type="application/x-tar")
    assert upload.status_code == 201
    # A row written before the rule, naming an API key by its own id.
    AuditLog.objects.create(user=member, resource_type="api_key", resource_id="k3yId0nly", action="delete")

    rows = client_for(owner).get("/api/v2/audit?limit=100").json()["audit_logs"]
    assert rows and all(row["resource_type"] in CODER_RESOURCE_TYPES for row in rows)
    assert all(str(uuid.UUID(row["resource_id"])) == row["resource_id"] for row in rows)
    key_rows = [r for r in rows if r["resource_type"] == "api_key"]
    assert len(key_rows) == 3 and {r["resource_id"] for r in key_rows} == {str(member.id)}  # the key's owner
    assert all("organization" not in r for r in key_rows)  # omitempty: these rows have none
    # Coder does not audit uploads: the admin keeps that row, the API leaves it out.
    assert AuditLog.objects.filter(resource_type="file").exists()


def test_omitempty_fields_are_left_out(client_for, owner, member, org, echo, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    client = client_for(owner)
    version = client.get(f"/api/v2/templateversions/{new_version(owner, org, capture).id}").json()
    assert "template_id" not in version and "warnings" not in version  # not part of a template yet
    job = version["job"]
    assert job["status"] == "succeeded" and "error" not in job and "error_code" not in job
    assert "canceled_at" not in job and "worker_id" not in job and "workspace_build_id" not in job["input"]
    params = {p["name"]: p for p in client.get(f"/api/v2/templateversions/{version['id']}/rich-parameters").json()}
    assert "validation_min" not in params["region"] and "validation_regex" not in params["region"]
    assert (params["cpu"]["validation_min"], params["cpu"]["validation_max"]) == (1, 8)

    template, _ = new_template(owner, org, capture, name="omit")
    with capture(execute=True):
        workspace = client_for(member).post("/api/v2/users/me/workspaces", {
            "name": "ws", "template_id": str(template.id),
            "rich_parameter_values": [{"name": "project", "value": "core"}]}, format="json").json()
    assert "autostart_schedule" not in workspace and "ttl_ms" not in workspace
    [resource] = workspace["latest_build"]["resources"]
    [agent] = resource["agents"]
    for never_set in ("first_connected_at", "last_connected_at", "disconnected_at", "started_at", "ready_at",
                      "instance_id", "latency"):
        assert never_set not in agent, never_set
    [app] = agent["apps"]
    assert "command" not in app and "icon" not in app and app["url"] == "http://localhost:8080"
