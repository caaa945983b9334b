"""SSH with the served single-file CLI and real OpenSSH, to an agent whose python3 has an SSH
server: `ssh WS -- uname -a` and `ssh WS uname -a` (everything after the workspace is the
remote command), `config-ssh` then `ssh`/`scp` by host name, `config-ssh --remove`."""
from __future__ import annotations

import os
import subprocess

import pytest

from accounts.services.tokens import issue_token_for_tests
from tests.agent.conftest import make_agent, wait_for
from tests.agent.test_terminal import _relay_up
from workspaces.models import WorkspaceAgent

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def workspace_agent(portal, run_agent, member, org, tmp_path):
    agent = make_agent(member, org, "tok-cli-ssh", directory=str(tmp_path))
    run_agent(portal, "tok-cli-ssh")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=agent.pk).lifecycle_state == "ready", message="ready")
    wait_for(lambda: _relay_up(portal, agent, member), message="relay up")
    return agent


def test_ssh_command_and_config_ssh_with_scp(portal, workspace_agent, member, served_cli, tmp_path):
    cli = served_cli
    name = workspace_agent.resource.build.workspace.name
    cli("login", portal, "--token", issue_token_for_tests(member))
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout
    assert cli("ssh", name, "--", "uname", "-a").stdout == uname
    assert cli("ssh", name, "uname", "-a").stdout == uname
    assert cli("ssh", name, "--", "exit", "7", check=False).returncode == 7  # joined by spaces, as OpenSSH

    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text("Host other\n\tHostName example.invalid\n")
    done = cli("config-ssh", "--ssh-config-file", str(ssh_config), "-y")
    assert "1 workspace(s)" in done.stdout
    host = f"coder.{name}"
    ssh = subprocess.run(["ssh", "-F", str(ssh_config), host, "echo", "via", "config"], capture_output=True,
                         text=True, env=cli.env, timeout=60, stdin=subprocess.DEVNULL)
    assert ssh.stdout == "via config\n", ssh.stderr
    local = tmp_path / "up.bin"
    local.write_bytes(os.urandom(200_000))
    scp = subprocess.run(["scp", "-F", str(ssh_config), str(local), f"{host}:{tmp_path}/remote.bin"],
                         capture_output=True, text=True, env=cli.env, timeout=60, stdin=subprocess.DEVNULL)
    assert scp.returncode == 0, scp.stderr
    assert (tmp_path / "remote.bin").read_bytes() == local.read_bytes()

    cli("config-ssh", "--ssh-config-file", str(ssh_config), "--remove", "-y")
    assert ssh_config.read_text() == "Host other\n\tHostName example.invalid\n"


def test_ssh_to_unknown_workspace_is_one_line(portal, member, served_cli, org):
    served_cli("login", portal, "--token", issue_token_for_tests(member))
    done = served_cli("ssh", "nope", "--", "true", check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("error: HTTP 404") and len(done.stderr.splitlines()) == 1
