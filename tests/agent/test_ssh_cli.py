"""SSH and port forwarding through the relay with the CLI and real OpenSSH: `login`,
`config-ssh` + `ssh coder.<workspace>`, `ssh <workspace> <command>`, `port-forward`."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest

from accounts.services.tokens import issue_token_for_tests
from tests.agent.conftest import REPO, make_agent, wait_for
from tests.agent.test_terminal import _relay_up
from workspaces.models import WorkspaceAgent

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def cli(tmp_path):
    config = tmp_path / "cli-config"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}

    def run(*args, timeout=60, check=True):
        done = subprocess.run([sys.executable, "-m", "cli", "--global-config", str(config), *args]
                              if args[0] != "ssh-raw" else list(args[1:]),
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        if check:
            assert done.returncode == 0, (done.stdout, done.stderr)
        return done

    run.config, run.env = config, env
    return run


@pytest.fixture
def workspace_agent(portal, run_agent, member, org, tmp_path):
    agent = make_agent(member, org, "tok-ssh-1", directory=str(tmp_path))
    run_agent(portal, "tok-ssh-1")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=agent.pk).lifecycle_state == "ready", message="ready")
    wait_for(lambda: _relay_up(portal, agent, member), message="relay up")
    return agent


def test_login_then_openssh_through_config_ssh(portal, workspace_agent, member, cli, tmp_path):
    name = workspace_agent.resource.build.workspace.name
    cli("login", portal, "--token", issue_token_for_tests(member))
    assert (cli.config / "url").read_text().strip() == portal
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text("Host other\n\tHostName example.invalid\n")
    cli("config-ssh", "--ssh-config-file", str(ssh_config))
    text = ssh_config.read_text()
    assert f"Host coder.{name}" in text and "Host other" in text
    cli("config-ssh", "--ssh-config-file", str(ssh_config))  # idempotent: one section
    assert ssh_config.read_text().count("START-CODER") == 1

    done = cli("ssh-raw", "ssh", "-F", str(ssh_config), f"coder.{name}", "echo hi from $CODER_WORKSPACE_NAME; pwd")
    assert done.stdout.splitlines() == [f"hi from {name}", str(tmp_path)]
    failed = cli("ssh-raw", "ssh", "-F", str(ssh_config), f"coder.{name}", "exit 3", check=False)
    assert failed.returncode == 3
    piped = subprocess.run(["ssh", "-F", str(ssh_config), f"coder.{name}", "tr a-z A-Z"], input="shout\n",
                           capture_output=True, text=True, env=cli.env, timeout=60)
    assert piped.stdout == "SHOUT\n", piped.stderr
    with_tty = cli("ssh-raw", "ssh", "-tt", "-F", str(ssh_config), f"coder.{name}", "tty; echo $TERM")
    assert "/dev/pts/" in with_tty.stdout


def test_cli_ssh_runs_a_command(portal, workspace_agent, member, cli):
    name = workspace_agent.resource.build.workspace.name
    cli("login", portal, "--token", issue_token_for_tests(member))
    done = cli("ssh", name, "echo", "hi")
    assert done.stdout.strip() == "hi"


def test_ssh_refused_for_someone_else(portal, workspace_agent, outsider, cli):
    cli("login", portal, "--token", issue_token_for_tests(outsider))
    done = cli("ssh", f"member/{workspace_agent.resource.build.workspace.name}", "echo", "hi", check=False)
    assert done.returncode != 0 and "hi" not in done.stdout


def test_port_forward(portal, workspace_agent, member, cli):
    # A service "in the workspace" (the agent runs on this machine): an upper-casing echo server.
    server = socket.create_server(("127.0.0.1", 0))
    remote = server.getsockname()[1]

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(1024):
                    conn.sendall(data.upper())

    threading.Thread(target=serve, daemon=True).start()
    cli("login", portal, "--token", issue_token_for_tests(member))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local = probe.getsockname()[1]
    forwarder = subprocess.Popen([sys.executable, "-m", "cli", "port-forward",
                                  workspace_agent.resource.build.workspace.name, "--tcp", f"{local}:{remote}",
                                  "--global-config", str(cli.config)], env=cli.env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
    try:
        assert "Forwarding" in forwarder.stdout.readline()
        for _ in range(2):  # two connections in a row, each its own stream
            with socket.create_connection(("127.0.0.1", local), timeout=20) as conn:
                conn.sendall(b"hello")
                assert conn.recv(1024) == b"HELLO"
    finally:
        forwarder.terminate()
        forwarder.wait(10)
        server.close()


def test_cli_ssh_waits_for_scripts_that_block_login(portal, run_agent, member, org, cli, tmp_path):
    flag = tmp_path / "provisioned"
    agent = make_agent(member, org, "tok-ssh-wait", scripts=[
        {"display_name": "setup", "run_on_start": True, "start_blocks_login": True,
         "script": f"sleep 4; echo done > {flag}"}])
    run_agent(portal, "tok-ssh-wait")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=agent.pk).lifecycle_state == "starting", message="starting")
    cli("login", portal, "--token", issue_token_for_tests(member))
    done = cli("ssh", agent.resource.build.workspace.name, "cat", str(flag))
    assert done.stdout.strip() == "done"
    assert "Waiting for the workspace agent" in done.stderr


def test_large_transfers_both_ways(portal, workspace_agent, member, cli, tmp_path):
    """Megabytes through SSH in both directions arrive intact (no byte lost to a full channel)."""
    import hashlib

    name = workspace_agent.resource.build.workspace.name
    cli("login", portal, "--token", issue_token_for_tests(member))
    ssh_config = tmp_path / "ssh_config"
    cli("config-ssh", "--ssh-config-file", str(ssh_config))
    payload = os.urandom(6 * 1024 * 1024)
    up = subprocess.run(["ssh", "-F", str(ssh_config), f"coder.{name}", "sha256sum"], input=payload,
                        capture_output=True, env=cli.env, timeout=120)
    assert up.stdout.split()[0].decode() == hashlib.sha256(payload).hexdigest(), up.stderr
    down = subprocess.run(["ssh", "-F", str(ssh_config), f"coder.{name}", "head -c 8000000 /dev/zero"],
                          capture_output=True, env=cli.env, timeout=120)
    assert len(down.stdout) == 8_000_000, down.stderr
