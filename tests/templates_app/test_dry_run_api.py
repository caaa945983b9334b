"""Dry-runs of a template version: a planned build whose resources and logs can be read."""
from __future__ import annotations

import pytest

from tests.templates_app.archive_helpers import echo_template

SCRIPT = {"parse": {"parameters": [{"name": "region", "type": "string", "default_value": "eu"}]},
          "start": {"logs": ["planning dev"], "resources": [
              {"type": "docker_container", "name": "dev", "address": "docker_container.dev", "daily_cost": 2,
               "agents": [{"name": "main"}], "metadata": [{"key": "pw", "value": "hunter2", "sensitive": True}]}]}}


@pytest.fixture(autouse=True)
def echo(monkeypatch, settings):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True


def make_version(client, org, capture):
    file_id = client.generic("POST", "/api/v2/files", echo_template(SCRIPT),
                             content_type="application/x-tar").json()["hash"]
    with capture(execute=True):
        return client.post(f"/api/v2/organizations/{org.name}/templateversions",
                           {"file_id": file_id, "provisioner": "echo"}, format="json").json()


def test_dry_run_plans_resources_and_logs(client_for, owner, member, outsider, org,
                                          django_capture_on_commit_callbacks):
    admin = client_for(owner)
    version = make_version(admin, org, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        body = {"workspace_name": "preview", "rich_parameter_values": [{"name": "region", "value": "us"}]}
        created = admin.post(f"/api/v2/templateversions/{version['id']}/dry-run", body, format="json")
    assert created.status_code == 201, created.content
    job = created.json()
    assert job["type"] == "template_version_dry_run"
    base = f"/api/v2/templateversions/{version['id']}/dry-run/{job['id']}"
    assert admin.get(base).json()["status"] == "succeeded"
    resources = admin.get(f"{base}/resources").json()
    assert [r["name"] for r in resources] == ["dev"]
    assert resources[0]["metadata"] == [{"key": "pw", "value": "", "sensitive": True}]
    assert resources[0]["agents"][0]["name"] == "main"
    assert any("planning dev" in entry["output"] for entry in admin.get(f"{base}/logs").json())
    assert admin.patch(f"{base}/cancel").status_code == 400  # already finished
    # Someone else's dry-run is not theirs to read; outsiders can't see the version at all.
    assert client_for(member).get(base).status_code == 404
    assert client_for(outsider).get(base).status_code == 404


def test_dry_run_of_unfinished_import_is_400(client_for, owner, org):
    admin = client_for(owner)
    file_id = admin.generic("POST", "/api/v2/files", echo_template(SCRIPT),
                            content_type="application/x-tar").json()["hash"]
    pending = admin.post(f"/api/v2/organizations/{org.name}/templateversions",
                         {"file_id": file_id, "provisioner": "echo"}, format="json").json()
    response = admin.post(f"/api/v2/templateversions/{pending['id']}/dry-run", {}, format="json")
    assert response.status_code == 400
