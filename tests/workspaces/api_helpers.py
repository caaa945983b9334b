"""Shared steps for the workspace API/admin tests on the scripted echo provisioner:
a template whose version has rich parameters and whose start builds create a resource with
an agent, apps, scripts and (sensitive) metadata."""
from __future__ import annotations

import copy

import pytest

from accounts.services.audit import Actor
from templates_app.services import files as file_services
from templates_app.services import templates as template_services
from templates_app.services import versions as version_services
from tests.templates_app.archive_helpers import echo_template

PARAMETERS = [
    {"name": "region", "type": "string", "default_value": "eu", "mutable": True,
     "options": [{"name": "EU", "value": "eu"}, {"name": "US", "value": "us"}]},
    {"name": "cpu", "type": "number", "default_value": "2", "mutable": True,
     "validation_min": 1, "validation_max": 8},
    {"name": "gpu", "type": "bool", "default_value": "false", "mutable": True},
    {"name": "disk", "type": "string", "default_value": "10", "mutable": False},
    {"name": "project", "type": "string", "required": True, "mutable": True},
]
AGENT = {"name": "main", "env": {"EDITOR": "vim"},
         "apps": [{"slug": "code", "display_name": "Code", "url": "http://localhost:8080", "subdomain": True}],
         "scripts": [{"display_name": "Startup", "script": "echo hi", "run_on_start": True}],
         "metadata": [{"key": "load", "script": "uptime", "interval": 5}]}
START = {"logs": ["creating dev", "dev ready"],
         "resources": [{"type": "docker_container", "name": "dev", "address": "docker_container.dev",
                        "daily_cost": 3, "agents": [AGENT],
                        "metadata": [{"key": "image", "value": "ubuntu"},
                                     {"key": "password", "value": "hunter2", "sensitive": True}]}]}
SCRIPT = {"parse": {"parameters": PARAMETERS}, "start": START,
          "stop": {"logs": ["stopping"]}, "delete": {"logs": ["destroying"]}}


def script(**overrides) -> dict:
    data = copy.deepcopy(SCRIPT)
    data.update(overrides)
    return data


@pytest.fixture
def echo(monkeypatch, settings):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True


def new_version(owner_user, org, capture, data=None, template=None):
    """Upload and import an echo template version (the import job runs inline)."""
    actor = Actor.for_user(owner_user)
    with capture(execute=True):
        file, _ = file_services.upload_file(actor=actor, data=echo_template(data or SCRIPT),
                                            content_type="application/x-tar")
        version = version_services.create_template_version(
            actor=actor, organization=org, file_id=file.pk, template_id=template.pk if template else None,
            provisioner="echo")
    version.refresh_from_db()
    version.job.refresh_from_db()
    assert version.job.status == "succeeded", version.job.error
    return version


def new_template(owner_user, org, capture, data=None, name="dev"):
    version = new_version(owner_user, org, capture, data)
    with capture(execute=True):
        template = template_services.create_template(actor=Actor.for_user(owner_user), organization=org, name=name,
                                                     template_version_id=version.pk)
    return template, version


def create(client, capture, user="me", **body):
    body.setdefault("name", "ws")
    body.setdefault("rich_parameter_values", [{"name": "project", "value": "core"}])
    with capture(execute=True):
        return client.post(f"/api/v2/users/{user}/workspaces", body, format="json")


def build(client, capture, workspace_id, **body):
    with capture(execute=True):
        return client.post(f"/api/v2/workspaces/{workspace_id}/builds", body, format="json")
