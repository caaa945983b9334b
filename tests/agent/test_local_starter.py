"""The `local` starter template for real (real Terraform, the agent downloaded from a live
portal): an update build keeps the app proxy and the terminal working without restarting
the agent; stop and delete leave no process that names the workspace (even when the agent
was killed); a start after a stop brings the Files app back on its port."""
from __future__ import annotations

import io
import json
import os
import signal
import tarfile
import uuid
from pathlib import Path

import pytest
import requests
from websockets.sync.client import connect

from accounts.services.tokens import issue_token_for_tests
from templates_app import examples
from tests.agent.conftest import processes_with_env, wait_for
from tests.templates_app.archive_helpers import tar_of
from workspaces.models import WorkspaceAgent

pytestmark = [pytest.mark.real, pytest.mark.timeout(600)]


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # the template keeps workspaces under ~/coder-local
    yield home
    for root in (home / "coder-local").glob("*"):  # whatever a failed test left running
        left = processes_with_env("CODER_LOCAL_SESSION", str(root)) + processes_with_env("CODER_WORKSPACE_ID",
                                                                                          root.name)
        for pid, _ in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _example_files(readme_suffix: str = "") -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(examples.example_archive("local"))) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    files["README.md"] += readme_suffix.encode()
    return files


def _version(admin, org, files, template_id=None) -> dict:
    file_id = admin.generic("POST", "/api/v2/files", tar_of(files), content_type="application/x-tar").json()["hash"]
    body = {"file_id": file_id, **({"template_id": template_id} if template_id else {})}
    version = admin.post(f"/api/v2/organizations/{org.name}/templateversions", body, format="json").json()
    job = admin.get(f"/api/v2/templateversions/{version['id']}").json()["job"]
    assert job["status"] == "succeeded", job
    return version


def _build(user, workspace_id, **body) -> dict:
    created = user.post(f"/api/v2/workspaces/{workspace_id}/builds", body, format="json")
    assert created.status_code == 201, created.content
    build = user.get(f"/api/v2/workspacebuilds/{created.json()['id']}").json()
    assert build["status"] in ("running", "stopped", "deleted"), build["job"]
    return build


def _agent_id(build) -> str:
    return next(a["id"] for r in build["resources"] for a in r["agents"])


def _files_app(portal, token, name) -> int:
    try:
        return requests.get(f"{portal}/@member/{name}/apps/files/", headers={"Coder-Session-Token": token},
                            timeout=10).status_code
    except requests.RequestException:
        return 0


def _terminal_echo(portal, token, agent_id) -> bool:
    url = portal.replace("http://", "ws://") + f"/api/v2/workspaceagents/{agent_id}/pty?reconnect={uuid.uuid4()}"
    try:
        with connect(url, additional_headers={"Coder-Session-Token": token}, open_timeout=10) as ws:
            ws.send(json.dumps({"data": "echo term-$((6*7))\r"}))
            seen = ""
            while "term-42" not in seen:
                frame = ws.recv(timeout=10)
                seen += frame.decode(errors="replace") if isinstance(frame, bytes) else frame
            return True
    except Exception:  # noqa: BLE001 - closed (agent not reachable) or timed out: not yet
        return False


def _ready(user, agent_id, ws_dir: Path):
    def state():
        return user.get(f"/api/v2/workspaceagents/{agent_id}").json()["lifecycle_state"]
    try:
        wait_for(lambda: state() == "ready", timeout=120, interval=0.5, message="agent ready")
    except AssertionError:
        log = (ws_dir / "agent.log").read_text() if (ws_dir / "agent.log").exists() else "(no log)"
        raise AssertionError(f"agent not ready: {state()}\n{log}") from None


def _nothing_left(workspace_id):
    # Polled: an agent's stop may still be ending what it started when the build returns.
    wait_for(lambda: not processes_with_env("CODER_WORKSPACE_ID", workspace_id), timeout=30, interval=0.2,
             message=f"no process naming the workspace: {processes_with_env('CODER_WORKSPACE_ID', workspace_id)}")


def test_local_starter_update_stop_start_delete(portal, home, client_for, owner, member, org):
    admin, user = client_for(owner), client_for(member)
    token = issue_token_for_tests(member)
    v1 = _version(admin, org, _example_files())
    template = admin.post(f"/api/v2/organizations/{org.name}/templates",
                          {"name": "local", "template_version_id": v1["id"]}, format="json").json()
    created = user.post("/api/v2/users/me/workspaces", {"template_id": template["id"], "name": "dev"}, format="json")
    assert created.status_code == 201, created.content
    workspace = user.get(f"/api/v2/workspaces/{created.json()['id']}").json()
    assert workspace["latest_build"]["status"] == "running", workspace["latest_build"]["job"]
    ws_id, ws_dir = workspace["id"], home / "coder-local" / workspace["id"]
    first_agent = _agent_id(workspace["latest_build"])
    _ready(user, first_agent, ws_dir)
    wait_for(lambda: _files_app(portal, token, "dev") == 200, timeout=60, interval=0.5, message="Files app")
    agent_pid = int((ws_dir / "agent.pid").read_text())

    # An update build (a new template version) keeps the agent process; the proxy and the
    # terminal reach it as the new build's agent.
    v2 = _version(admin, org, _example_files("\nVersion 2.\n"), template_id=template["id"])
    assert admin.patch(f"/api/v2/templates/{template['id']}/versions",
                       {"id": v2["id"]}, format="json").status_code == 200
    updated = _build(user, ws_id, transition="start", template_version_id=v2["id"])
    new_agent = _agent_id(updated)
    assert new_agent != first_agent
    assert int((ws_dir / "agent.pid").read_text()) == agent_pid  # not restarted
    wait_for(lambda: _files_app(portal, token, "dev") == 200, timeout=60, interval=0.5,
             message="Files app after the update")
    wait_for(lambda: _terminal_echo(portal, token, new_agent), timeout=60, interval=0.5,
             message="terminal after the update")
    assert WorkspaceAgent.objects.get(pk=new_agent).lifecycle_state == "ready"

    # Stop: nothing that names the workspace is left, the Files server included.
    _build(user, ws_id, transition="stop")
    _nothing_left(ws_id)

    # Start again: the Files app comes back on the same port (no "Address already in use").
    started = _build(user, ws_id, transition="start")
    _ready(user, _agent_id(started), ws_dir)
    wait_for(lambda: _files_app(portal, token, "dev") == 200, timeout=60, interval=0.5,
             message="Files app after a restart")

    # An agent that cannot do its stop (killed) still leaves nothing behind once the
    # template's destroy ran: it kills what is left of the agent's session.
    os.kill(int((ws_dir / "agent.pid").read_text()), signal.SIGKILL)
    assert processes_with_env("CODER_WORKSPACE_ID", ws_id)  # the Files server, orphaned
    _build(user, ws_id, transition="delete")
    _nothing_left(ws_id)
