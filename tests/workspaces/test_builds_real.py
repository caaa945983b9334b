"""Workspace lifecycle with REAL Terraform and the bundled coder provider, using a local
template whose workspace is a process on this host: create → running (process up) → stop
(process gone) → start (same agent token) → update to a new version → delete."""
from __future__ import annotations

from pathlib import Path

import pytest

from accounts.services.audit import Actor
from tests.templates_app.archive_helpers import tar_of, tar_of_dir
from tests.workspaces.helpers import alive, create_template, import_version
from workspaces.models import Workspace, WorkspaceAgent, WorkspaceBuild
from workspaces.services import builds as build_services
from workspaces.services import workspaces as workspace_services

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


SIZE_PARAMETER = """
data "coder_parameter" "size" {
  name    = "size"
  type    = "number"
  default = 2
  mutable = true
  validation {
    min = 1
    max = 8
  }
}
"""


def tar_of_local_v2() -> bytes:
    """Version 2 of the local template: the same plus a `size` parameter."""
    return tar_of({"main.tf": (TEMPLATES / "local" / "main.tf").read_text() + SIZE_PARAMETER})


def agent_pid(root: Path, workspace: Workspace) -> int | None:
    pid_file = root / str(workspace.pk) / "agent.pid"
    return int(pid_file.read_text()) if pid_file.exists() else None


def latest(workspace) -> WorkspaceBuild:
    return WorkspaceBuild.objects.filter(workspace=workspace).order_by("-build_number").first()


def test_local_workspace_lifecycle(owner, org, tmp_path):
    actor = Actor.for_user(owner)
    root = tmp_path / "workspaces"
    variables = {"workdir_root": str(root)}
    v1 = import_version(actor, org, tar_of_dir(TEMPLATES / "local"), variables=variables)
    template = create_template(actor, org, v1)

    workspace = workspace_services.create_workspace(
        actor=actor, organization=org, owner=owner, name="dev", template_id=template.pk,
        rich_parameter_values=[{"name": "greeting", "value": "howdy"}])
    first = latest(workspace)
    assert first.job.status == "succeeded", (first.job.error, list(first.job.logs.values_list("output", flat=True)))
    pid = agent_pid(root, workspace)
    assert pid and alive(pid)
    assert (root / str(workspace.pk) / "greeting").read_text().strip() == "howdy"
    agent = WorkspaceAgent.objects.get(resource__build=first)
    assert len(agent.auth_token_hash) == 64
    resource = agent.resource
    assert resource.type == "terraform_data" and resource.daily_cost == 3
    assert {m.key: (m.value, m.sensitive) for m in resource.metadata.all()}["secret"] == ("hunter2", True)
    assert b"hunter2" in bytes(first.provisioner_state)  # state keeps what Terraform knows
    logs = " ".join(first.job.logs.values_list("output", flat=True))
    # local-exec output is suppressed by Terraform here (its config references the sensitive token).
    assert "Apply complete" in logs

    stop = build_services.request_build(workspace, actor=actor, transition="stop")
    stop.refresh_from_db()
    assert stop.job.status == "succeeded", stop.job.error
    assert stop.build_number == 2 and not alive(pid)
    assert stop.resources.filter(type="terraform_data").count() == 0

    start = build_services.request_build(workspace, actor=actor, transition="start")
    start.refresh_from_db()
    assert start.job.status == "succeeded", start.job.error
    new_pid = agent_pid(root, workspace)
    assert new_pid and alive(new_pid) and new_pid != pid
    assert WorkspaceAgent.objects.get(resource__build=start).auth_token_hash == agent.auth_token_hash
    assert {p.name: p.value for p in start.parameters.all()} == {"greeting": "howdy"}  # carried forward

    v2 = import_version(actor, org, tar_of_local_v2(), template=template, variables=variables)
    template.active_version = v2
    template.save(update_fields=["active_version"])
    stop2 = build_services.request_build(workspace, actor=actor, transition="stop")
    assert WorkspaceBuild.objects.get(pk=stop2.pk).job.status == "succeeded"
    update = build_services.request_build(workspace, actor=actor, transition="start", template_version_id=v2.pk,
                                          rich_parameter_values=[{"name": "size", "value": "4"}])
    update.refresh_from_db()
    assert update.job.status == "succeeded", update.job.error
    assert update.template_version_id == v2.pk
    assert {p.name: p.value for p in update.parameters.all()} == {"greeting": "howdy", "size": "4"}
    final_pid = agent_pid(root, workspace)
    assert alive(final_pid)

    delete = build_services.request_build(workspace, actor=actor, transition="delete")
    delete.refresh_from_db()
    assert delete.job.status == "succeeded", delete.job.error
    assert not alive(final_pid)
    workspace.refresh_from_db()
    assert workspace.deleted
    assert b'"resources": []' in bytes(delete.provisioner_state).replace(b"\n", b"").replace(b"  ", b" ") or \
        b"terraform_data" not in bytes(delete.provisioner_state)


def test_failed_build_keeps_state_and_next_start_converges(owner, org, tmp_path):
    """A failing apply returns state; the next build starts from it and succeeds."""
    actor = Actor.for_user(owner)
    root = tmp_path / "ws"
    version = import_version(actor, org, tar_of_dir(TEMPLATES / "local"), variables={"workdir_root": str(root)})
    template = create_template(actor, org, version)
    workspace = workspace_services.create_workspace(actor=actor, organization=org, owner=owner, name="flaky",
                                                    template_id=template.pk)
    assert latest(workspace).job.status == "succeeded"
    pid = agent_pid(root, workspace)
    build_services.request_build(workspace, actor=actor, transition="stop")
    assert not alive(pid)
    again = build_services.request_build(workspace, actor=actor, transition="start")
    again.refresh_from_db()
    assert again.job.status == "succeeded"
    assert alive(agent_pid(root, workspace))
    build_services.request_build(workspace, actor=actor, transition="delete")
