"""Done-when of the workspaces issue, through the HTTP API alone, with real Terraform: upload the
local template → import → template → workspace running (agent process up) → stop (process gone)
→ start (same agent token) → update to a new active version → delete (everything destroyed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.templates_app.archive_helpers import tar_of, tar_of_dir
from tests.workspaces.helpers import alive
from tests.workspaces.test_builds_real import SIZE_PARAMETER
from workspaces.models import WorkspaceAgent

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def import_version(client, org, archive: bytes, root: Path, template_id=None) -> dict:
    file_id = client.generic("POST", "/api/v2/files", archive, content_type="application/x-tar").json()["hash"]
    body = {"file_id": file_id, "user_variable_values": [{"name": "workdir_root", "value": str(root)}]}
    if template_id:
        body["template_id"] = template_id
    version = client.post(f"/api/v2/organizations/{org.name}/templateversions", body, format="json").json()
    version = client.get(f"/api/v2/templateversions/{version['id']}").json()
    assert version["job"]["status"] == "succeeded", version["job"]
    return version


def build(client, workspace_id, **body) -> dict:
    response = client.post(f"/api/v2/workspaces/{workspace_id}/builds", body, format="json")
    assert response.status_code == 201, response.content
    return client.get(f"/api/v2/workspacebuilds/{response.json()['id']}").json()


def agent_token_hashes(build_json) -> set[str]:
    ids = [a["id"] for r in build_json["resources"] for a in r["agents"]]
    return set(WorkspaceAgent.objects.filter(id__in=ids).values_list("auth_token_hash", flat=True))


def test_local_workspace_lifecycle_through_the_api(client_for, owner, member, org, tmp_path):
    admin, user = client_for(owner), client_for(member)
    root = tmp_path / "workspaces"
    v1 = import_version(admin, org, tar_of_dir(TEMPLATES / "local"), root)
    template = admin.post(f"/api/v2/organizations/{org.name}/templates",
                          {"name": "local", "template_version_id": v1["id"]}, format="json").json()

    created = user.post("/api/v2/users/me/workspaces", {
        "template_id": template["id"], "name": "dev",
        "rich_parameter_values": [{"name": "greeting", "value": "hi"}]}, format="json")
    assert created.status_code == 201, created.content
    workspace = user.get(f"/api/v2/workspaces/{created.json()['id']}").json()
    assert workspace["latest_build"]["status"] == "running", workspace["latest_build"]["job"]
    pid_file = root / workspace["id"] / "agent.pid"
    pid = int(pid_file.read_text())
    assert alive(pid)
    first_tokens = agent_token_hashes(workspace["latest_build"])
    assert len(first_tokens) == 1

    stopped = build(user, workspace["id"], transition="stop")
    assert stopped["status"] == "stopped" and not alive(pid)

    started = build(user, workspace["id"], transition="start")
    assert started["status"] == "running"
    assert alive(int(pid_file.read_text()))
    assert agent_token_hashes(started) == first_tokens  # the agent keeps its token

    v2 = import_version(admin, org, tar_of({"main.tf": (TEMPLATES / "local" / "main.tf").read_text()
                                            + SIZE_PARAMETER}), root, template_id=template["id"])
    assert admin.patch(f"/api/v2/templates/{template['id']}/versions", {"id": v2["id"]},
                       format="json").status_code == 200
    assert user.get(f"/api/v2/workspaces/{workspace['id']}").json()["outdated"] is True
    build(user, workspace["id"], transition="stop")
    updated = build(user, workspace["id"], transition="start", template_version_id=v2["id"],
                    rich_parameter_values=[{"name": "size", "value": "4"}])
    assert updated["status"] == "running" and updated["template_version_id"] == v2["id"]
    params = {p["name"]: p["value"] for p in user.get(f"/api/v2/workspacebuilds/{updated['id']}/parameters").json()}
    assert params == {"greeting": "hi", "size": "4"}
    assert user.get(f"/api/v2/workspaces/{workspace['id']}").json()["outdated"] is False
    last_pid = int(pid_file.read_text())

    deleted = build(user, workspace["id"], transition="delete")
    assert deleted["status"] == "deleted"
    assert not alive(last_pid)
    assert user.get(f"/api/v2/workspaces/{workspace['id']}").status_code == 410
    listed = user.get("/api/v2/workspaces").json()
    assert all(w["id"] != workspace["id"] for w in listed["workspaces"])
    state = admin.get(f"/api/v2/workspacebuilds/{deleted['id']}/state")
    assert state.status_code == 200 and b"terraform_data" not in state.content
