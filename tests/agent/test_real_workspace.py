"""Done-when of connectivity, with a REAL build: real Terraform builds a workspace of
processes on this host (tests/agent/templates/real, modelled on the local starter); its
provisioner runs the agent's init_script, which downloads the agent from the live portal;
then OpenSSH through the CLI's ProxyCommand (command, scp both ways, `-L`), and the app
served by a coder_script through the path-based app proxy (owner yes, another member 404,
a public app anonymously)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from accounts.services.tokens import issue_token_for_tests
from tests.agent.conftest import _free_port, wait_for
from tests.templates_app.archive_helpers import tar_of_dir
from workspaces.models import WorkspaceAgent

pytestmark = [pytest.mark.real, pytest.mark.timeout(300)]
TEMPLATE = Path(__file__).parent / "templates" / "real"


@pytest.fixture(autouse=True)
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def workspace_python(monkeypatch):
    # The workspace's `python3` (this host's, as Terraform runs here) needs paramiko for the
    # agent's SSH server: the test's own interpreter has it.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _kill_pid_file(path: Path, group: bool = False) -> None:
    try:
        pid = int(path.read_text())
        os.killpg(pid, signal.SIGKILL) if group else os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass


def test_real_workspace_ssh_scp_forwarding_and_apps(portal, workspace_python, client_for, owner, member,
                                                    org_admin, org, tmp_path, monkeypatch):
    monkeypatch.setenv("CODER_WILDCARD_ACCESS_URL", "*.apps.test")
    admin, user = client_for(owner), client_for(member)
    root, app_port = tmp_path / "workspaces", _free_port()
    file_id = admin.generic("POST", "/api/v2/files", tar_of_dir(TEMPLATE),
                            content_type="application/x-tar").json()["hash"]
    version = admin.post(f"/api/v2/organizations/{org.name}/templateversions", {
        "file_id": file_id, "user_variable_values": [{"name": "workdir_root", "value": str(root)},
                                                     {"name": "app_port", "value": str(app_port)}]},
        format="json").json()
    assert admin.get(f"/api/v2/templateversions/{version['id']}").json()["job"]["status"] == "succeeded"
    template = admin.post(f"/api/v2/organizations/{org.name}/templates",
                          {"name": "real", "template_version_id": version["id"]}, format="json").json()
    from templates_app.models import Template

    Template.objects.filter(pk=template["id"]).update(max_port_share_level="public")  # let `public` be public

    created = user.post("/api/v2/users/me/workspaces", {"template_id": template["id"], "name": "dev"}, format="json")
    assert created.status_code == 201, created.content
    workspace = user.get(f"/api/v2/workspaces/{created.json()['id']}").json()
    assert workspace["latest_build"]["status"] == "running", workspace["latest_build"]["job"]
    ws_dir = root / workspace["id"]
    try:
        _connect_and_check(portal, user, member, org_admin, workspace, ws_dir, app_port, tmp_path)
    finally:
        deleted = user.post(f"/api/v2/workspaces/{workspace['id']}/builds", {"transition": "delete"}, format="json")
        assert deleted.status_code == 201
        _kill_pid_file(ws_dir / "site.pid")
        _kill_pid_file(ws_dir / "agent.pid", group=True)


def _connect_and_check(portal, user, member, org_admin, workspace, ws_dir, app_port, tmp_path):
    agent_id = next(a["id"] for r in workspace["latest_build"]["resources"] for a in r["agents"])

    def agent_json():
        return user.get(f"/api/v2/workspaceagents/{agent_id}").json()

    try:
        wait_for(lambda: agent_json()["lifecycle_state"] == "ready", timeout=90, message="agent ready")
    except AssertionError:
        log = (ws_dir / "agent.log").read_text() if (ws_dir / "agent.log").exists() else "(no log)"
        raise AssertionError(f"agent not ready: {agent_json()}\n{log}") from None
    assert agent_json()["status"] == "connected"
    assert WorkspaceAgent.objects.get(pk=agent_id).version  # the downloaded agent reported itself

    # The CLI is the agent file the portal serves.
    cli = tmp_path / "coder"
    cli.write_bytes(requests.get(f"{portal}/bin/coderportal", timeout=60).content)
    config, env = tmp_path / "cli-config", {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    subprocess.run([sys.executable, str(cli), "login", portal, "--token", issue_token_for_tests(member),
                    "--global-config", str(config)], env=env, check=True, capture_output=True, timeout=60)
    ssh_opts = ["-o", f"ProxyCommand={sys.executable} {cli} --global-config {config} ssh --stdio %h",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
    host = f"coder.{workspace['name']}"

    def run(*argv, **kwargs):
        return subprocess.run(list(argv), env=env, capture_output=True, timeout=90, stdin=subprocess.DEVNULL,
                              **kwargs)

    # The relay comes up beside "ready": retry until the first session gets through.
    deadline = time.monotonic() + 60
    while (hi := run("ssh", *ssh_opts, host, "echo", "hi")).stdout != b"hi\n":
        assert time.monotonic() < deadline, (hi.stdout, hi.stderr)
        time.sleep(1)
    home = ws_dir / "home"
    assert run("ssh", *ssh_opts, host, "pwd", text=True).stdout.strip() == str(home)

    # scp both ways.
    payload = os.urandom(2 * 1024 * 1024)
    (tmp_path / "up.bin").write_bytes(payload)
    up = run("scp", *ssh_opts, str(tmp_path / "up.bin"), f"{host}:up.bin")
    assert up.returncode == 0, up.stderr
    assert (home / "up.bin").read_bytes() == payload
    (home / "down.txt").write_text("made in the workspace\n")
    down = run("scp", *ssh_opts, f"{host}:down.txt", str(tmp_path / "down.txt"))
    assert down.returncode == 0, down.stderr
    assert (tmp_path / "down.txt").read_text() == "made in the workspace\n"

    # ssh -L to the app's port inside the workspace.
    local_port = _free_port()
    forward = subprocess.Popen(["ssh", *ssh_opts, "-N", "-L", f"{local_port}:127.0.0.1:{app_port}", host],
                               env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        def forwarded():
            try:
                return requests.get(f"http://127.0.0.1:{local_port}/", timeout=5).text
            except requests.RequestException:
                return ""
        assert wait_for(lambda: "hello from the app" in forwarded(), timeout=60, interval=0.5,
                        message="ssh -L forwarding")
    finally:
        forward.terminate()
        forward.wait(10)

    # The app through the portal's proxy.
    site = f"{portal}/@member/{workspace['name']}/apps/site/"
    got = requests.get(site, headers={"Coder-Session-Token": issue_token_for_tests(member)}, timeout=30)
    assert got.status_code == 200 and "hello from the app" in got.text
    other = requests.get(site, headers={"Coder-Session-Token": issue_token_for_tests(org_admin)}, timeout=30)
    assert other.status_code == 404
    # `subdomain = true`: served on its own host (sent to the portal's address here), not on a path.
    public_app = next(a for a in agent_json()["apps"] if a["slug"] == "public")
    assert public_app["subdomain"] is True
    assert public_app["subdomain_name"] == f"public--main--{workspace['name']}--member"
    anonymous = requests.get(f"{portal}/", headers={"Host": f"{public_app['subdomain_name']}.apps.test"}, timeout=30)
    assert anonymous.status_code == 200 and "hello from the app" in anonymous.text
    assert requests.get(f"{portal}/@member/{workspace['name']}.main/apps/public/", headers={
        "Coder-Session-Token": issue_token_for_tests(member)}, timeout=30).status_code == 404
    assert requests.get(site, allow_redirects=False, timeout=30).status_code == 302  # owner-only: log in

    # The agent's health check of the app is in the agent JSON.
    wait_for(lambda: {a["slug"]: a["health"] for a in agent_json()["apps"]}.get("site") == "healthy",
             timeout=30, message="app healthy")
    assert user.get(f"/api/v2/workspaces/{workspace['id']}").json()["last_used_at"]
