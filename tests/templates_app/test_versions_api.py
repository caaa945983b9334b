"""Template versions through the API with the scripted echo provisioner (fast path).

The same flows with real Terraform are in test_versions_real.py.
"""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from templates_app.models import ProvisionerJobLog, TemplateVersion
from tests.templates_app.archive_helpers import echo_template

PARSE = {"parse": {
    "readme": "# Hello",
    "variables": [{"name": "team", "type": "string", "required": True, "description": "team"},
                  {"name": "token", "type": "string", "sensitive": True, "default_value": "abc"}],
    "parameters": [{"name": "region", "type": "string", "default_value": "eu", "mutable": True,
                    "options": [{"name": "EU", "value": "eu"}, {"name": "US", "value": "us"}]}],
}}


@pytest.fixture(autouse=True)
def echo_enabled(monkeypatch, settings):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True


def collect_stream(response) -> str:
    async def collect():
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)().decode()


def upload(client, data: bytes) -> str:
    response = client.generic("POST", "/api/v2/files", data, content_type="application/x-tar")
    assert response.status_code in (200, 201), response.content
    return response.json()["hash"]


def create_version(client, org, data: bytes, capture, **extra):
    file_id = upload(client, data)
    with capture(execute=True):
        response = client.post(f"/api/v2/organizations/{org.name}/templateversions",
                               {"file_id": file_id, "provisioner": "echo", **extra}, format="json")
    return response


def test_import_records_parameters_variables_readme(client_for, owner, org, django_capture_on_commit_callbacks):
    client = client_for(owner)
    response = create_version(client, org, echo_template(PARSE), django_capture_on_commit_callbacks,
                              user_variable_values=[{"name": "team", "value": "core"}])
    assert response.status_code == 201, response.content
    version_id = response.json()["id"]
    assert response.json()["name"]  # generated when absent
    got = client.get(f"/api/v2/templateversions/{version_id}").json()
    assert got["job"]["status"] == "succeeded", got["job"]
    assert got["readme"] == "# Hello"
    params = client.get(f"/api/v2/templateversions/{version_id}/rich-parameters").json()
    assert [p["name"] for p in params] == ["region"]
    assert params[0]["options"][1]["value"] == "us" and params[0]["mutable"] is True
    variables = {v["name"]: v for v in client.get(f"/api/v2/templateversions/{version_id}/variables").json()}
    assert variables["team"]["required"] is True and variables["team"]["value"] == "core"
    assert variables["token"]["sensitive"] is True and variables["token"]["default_value"] == ""


def test_failed_import_reports_error_and_logs(client_for, owner, org, django_capture_on_commit_callbacks):
    script = {"parse": {"status": "failed", "error": "Missing required variables: team",
                        "error_code": "REQUIRED_TEMPLATE_VARIABLES"}}
    client = client_for(owner)
    version = create_version(client, org, echo_template(script), django_capture_on_commit_callbacks).json()
    job = client.get(f"/api/v2/templateversions/{version['id']}").json()["job"]
    assert job["status"] == "failed"
    assert job["error_code"] == "REQUIRED_TEMPLATE_VARIABLES" and "team" in job["error"]
    assert client.get(f"/api/v2/templateversions/{version['id']}/rich-parameters").status_code == 400


@pytest.mark.django_db(transaction=True)  # the stream polls through channels' connection handling
def test_logs_after_and_follow(client_for, owner, org, django_capture_on_commit_callbacks):
    script = {**PARSE, "parse": {**PARSE["parse"], "variables": []}}
    client = client_for(owner)
    version = create_version(client, org, echo_template(script), django_capture_on_commit_callbacks).json()
    job_id = version["job"]["id"]
    ProvisionerJobLog.objects.create(job_id=job_id, output="one", stage="Planning")
    ProvisionerJobLog.objects.create(job_id=job_id, output="two", stage="Planning")
    logs = client.get(f"/api/v2/templateversions/{version['id']}/logs").json()
    assert [entry["output"] for entry in logs][-2:] == ["one", "two"]
    assert set(logs[0]) == {"id", "created_at", "log_source", "log_level", "stage", "output"}
    after = client.get(f"/api/v2/templateversions/{version['id']}/logs?after={logs[-2]['id']}").json()
    assert [entry["output"] for entry in after] == ["two"]
    streamed = client.get(f"/api/v2/templateversions/{version['id']}/logs?follow=true")
    body = collect_stream(streamed)
    assert body.index('"one"') < body.index('"two"') < body.index("event: complete")


@pytest.mark.parametrize("body, field", [
    ({}, "file_id"),
    ({"file_id": "not-a-uuid"}, "file_id"),
    ({"file_id": "00000000-0000-0000-0000-000000000000"}, "file_id"),
    ({"file_id": "00000000-0000-0000-0000-000000000000", "provisioner": "ansible"}, "provisioner"),
    ({"file_id": "00000000-0000-0000-0000-000000000000", "tags": ["x"]}, "tags"),
    ({"file_id": "00000000-0000-0000-0000-000000000000", "user_variable_values": [{"name": 1}]},
     "user_variable_values[0].value"),
])
def test_bad_create_requests_are_400(client_for, owner, org, body, field):
    response = client_for(owner).post(f"/api/v2/organizations/{org.name}/templateversions", body, format="json")
    assert response.status_code == 400, response.content
    fields = [v["field"] for v in response.json()["validations"]]
    assert any(f.startswith(field.split("[")[0]) for f in fields), fields


def test_members_cannot_create_and_outsiders_cannot_see(client_for, owner, member, outsider, org,
                                                         django_capture_on_commit_callbacks):
    version = create_version(client_for(owner), org, echo_template(PARSE), django_capture_on_commit_callbacks,
                             user_variable_values=[{"name": "team", "value": "x"}]).json()
    file_id = upload(client_for(member), echo_template(PARSE))
    denied = client_for(member).post(f"/api/v2/organizations/{org.name}/templateversions",
                                     {"file_id": file_id, "provisioner": "echo"}, format="json")
    assert denied.status_code == 403
    assert client_for(outsider).get(f"/api/v2/templateversions/{version['id']}").status_code == 404
    assert client_for(outsider).get(f"/api/v2/templateversions/{version['id']}/logs").status_code == 404


def test_echo_provisioner_refused_unless_enabled(client_for, owner, org, monkeypatch):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "false")
    file_id = upload(client_for(owner), echo_template(PARSE))
    response = client_for(owner).post(f"/api/v2/organizations/{org.name}/templateversions",
                                      {"file_id": file_id, "provisioner": "echo"}, format="json")
    assert response.status_code == 400
    assert TemplateVersion.objects.count() == 0


def test_cancel_pending_import(client_for, owner, org):
    client = client_for(owner)
    file_id = upload(client, echo_template(PARSE))
    # No on-commit capture: the job stays pending (nothing enqueued in this test).
    version = client.post(f"/api/v2/organizations/{org.name}/templateversions",
                          {"file_id": file_id, "provisioner": "echo"}, format="json").json()
    assert version["job"]["status"] == "pending" and version["job"]["queue_position"] == 1
    assert version["matched_provisioners"]["count"] == 0
    assert client.patch(f"/api/v2/templateversions/{version['id']}/cancel").status_code == 200
    assert client.get(f"/api/v2/templateversions/{version['id']}").json()["job"]["status"] == "canceled"
    assert client.patch(f"/api/v2/templateversions/{version['id']}/cancel").status_code == 400
