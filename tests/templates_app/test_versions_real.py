"""Template imports with REAL Terraform and the bundled coder provider, through the API.

Uses the provisioner package's test templates. Jobs run inline (Celery eager) in these
tests; test_jobs_worker.py drives a real Celery worker process.
"""
from __future__ import annotations

import pytest

from tests.templates_app.archive_helpers import PROVISIONER_TEMPLATES, tar_of, tar_of_dir

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def import_version(client, org, archive: bytes, **extra) -> dict:
    upload = client.generic("POST", "/api/v2/files", archive, content_type="application/x-tar")
    assert upload.status_code == 201, upload.content
    response = client.post(f"/api/v2/organizations/{org.name}/templateversions",
                           {"file_id": upload.json()["hash"], **extra}, format="json")
    assert response.status_code == 201, response.content
    return client.get(f"/api/v2/templateversions/{response.json()['id']}").json()


def test_full_template_imports_and_becomes_a_template(client_for, owner, org):
    client = client_for(owner)
    version = import_version(client, org, tar_of_dir(PROVISIONER_TEMPLATES / "full"),
                             user_variable_values=[{"name": "team", "value": "platform"}])
    assert version["job"]["status"] == "succeeded", (version["job"], client.get(
        f"/api/v2/templateversions/{version['id']}/logs").json())
    params = {p["name"]: p for p in client.get(f"/api/v2/templateversions/{version['id']}/rich-parameters").json()}
    assert params["region"]["default_value"] == "eu"
    assert [o["value"] for o in params["region"]["options"]][:2] == ["eu", "us"]
    variables = {v["name"]: v for v in client.get(f"/api/v2/templateversions/{version['id']}/variables").json()}
    assert variables["team"]["required"] is True and variables["team"]["value"] == "platform"
    assert variables["api_key"]["sensitive"] is True and variables["api_key"]["default_value"] == ""
    assert version["readme"].strip()
    resources = client.get(f"/api/v2/templateversions/{version['id']}/resources").json()
    agents = [a for r in resources if r["workspace_transition"] == "start" for a in r["agents"]]
    assert agents, resources
    logs = client.get(f"/api/v2/templateversions/{version['id']}/logs").json()
    assert logs and all("s3cret" not in entry["output"] for entry in logs)
    template = client.post(f"/api/v2/organizations/{org.name}/templates",
                           {"name": "full", "template_version_id": version["id"]}, format="json")
    assert template.status_code == 201, template.content


def test_missing_required_variable_fails_with_error_code(client_for, owner, org):
    version = import_version(client_for(owner), org, tar_of_dir(PROVISIONER_TEMPLATES / "full"))
    assert version["job"]["status"] == "failed"
    assert version["job"]["error_code"] == "REQUIRED_TEMPLATE_VARIABLES"
    assert "team" in version["job"]["error"]


@pytest.mark.parametrize("name, needle", [
    ("syntax_error", "main.tf"),
    ("unknown_type", "coder_teleporter"),
])
def test_broken_templates_fail_with_clear_error_and_logs(client_for, owner, org, name, needle):
    client = client_for(owner)
    version = import_version(client, org, tar_of_dir(PROVISIONER_TEMPLATES / name))
    assert version["job"]["status"] == "failed"
    assert version["job"]["error"]
    assert needle in version["job"]["error"] + " ".join(
        entry["output"] for entry in client.get(f"/api/v2/templateversions/{version['id']}/logs").json())


def test_provider_that_cannot_be_installed_fails(client_for, owner, org):
    main_tf = """
terraform {
  required_providers {
    nosuch = { source = "example-corp/nosuch" }
  }
}
resource "nosuch_thing" "x" {}
"""
    client = client_for(owner)
    version = import_version(client, org, tar_of({"main.tf": main_tf}))
    assert version["job"]["status"] == "failed"
    text = version["job"]["error"] + " ".join(
        entry["output"] for entry in client.get(f"/api/v2/templateversions/{version['id']}/logs").json())
    assert "nosuch" in text


def test_dry_run_with_real_terraform_plans_agents(client_for, owner, org):
    client = client_for(owner)
    version = import_version(client, org, tar_of_dir(PROVISIONER_TEMPLATES / "full"),
                             user_variable_values=[{"name": "team", "value": "platform"}])
    job = client.post(f"/api/v2/templateversions/{version['id']}/dry-run",
                      {"workspace_name": "preview", "user_variable_values": [{"name": "team", "value": "platform"}]},
                      format="json").json()
    base = f"/api/v2/templateversions/{version['id']}/dry-run/{job['id']}"
    assert client.get(base).json()["status"] == "succeeded", client.get(f"{base}/logs").json()
    resources = client.get(f"{base}/resources").json()
    assert any(r["agents"] for r in resources), resources
