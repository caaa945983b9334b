"""The agent (a real subprocess) against a live portal: lifecycle, logs, metadata,
heartbeats and ports, start/stop scripts, and the init-script download contract."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from provisioner.coder_provider.init_script import render_init_script
from tests.agent.conftest import make_agent, wait_for
from workspaces.api.serializers.agents import agent_status
from workspaces.models import WorkspaceAgent

pytestmark = pytest.mark.timeout(120)


def fresh(agent):
    return WorkspaceAgent.objects.get(pk=agent.pk)


def log_text(agent) -> str:
    return "\n".join(agent.logs.order_by("id").values_list("output", flat=True))


def test_agent_runs_scripts_reports_and_stops_cleanly(portal, run_agent, member, org, tmp_path):
    marker = tmp_path / "stopped"
    agent_row = make_agent(member, org, "tok-happy-1", directory=str(tmp_path), scripts=[
        {"display_name": "startup", "run_on_start": True, "start_blocks_login": True,
         "script": 'echo "hello from $CODER_WORKSPACE_NAME env=$FROM_CODER_ENV "'
                   '"token=${CODER_AGENT_TOKEN:-unset}"; pwd'},
        {"display_name": "stop", "run_on_stop": True, "script": f"echo bye; touch {marker}"},
    ], metadata=[{"key": "greeting", "display_name": "Greeting", "script": "echo hi-$((40+2))", "interval": 1}],
        apps=[{"slug": "up", "healthcheck_url": f"{portal}/healthz", "healthcheck_interval": 1,
               "healthcheck_threshold": 1, "health": "initializing"},
              {"slug": "down", "healthcheck_url": "http://127.0.0.1:9/", "healthcheck_interval": 1,
               "healthcheck_threshold": 2, "health": "initializing"}])
    proc = run_agent(portal, "tok-happy-1")

    wait_for(lambda: fresh(agent_row).lifecycle_state == "ready", message="ready")
    agent = fresh(agent_row)
    assert agent.started_at and agent.ready_at and agent.first_connected_at
    assert agent_status(agent) == "connected"
    text = wait_for(lambda: "hello from" in log_text(agent) and log_text(agent), message="startup logs")
    assert "hello from ws-tok-ha env=yes token=unset" in text
    assert str(tmp_path) in text  # the script ran in the agent's directory
    startup = agent.scripts.get(display_name="startup")
    assert agent.logs.filter(source=startup, output__startswith="hello from").exists()

    assert agent.version.startswith("v") and agent.expanded_directory == str(tmp_path)
    wait_for(lambda: agent.metadata.get(key="greeting").value == "hi-42", message="metadata value")
    wait_for(lambda: dict(agent.apps.values_list("slug", "health")) == {"up": "healthy", "down": "unhealthy"},
             message="app health")
    port = int(portal.rsplit(":", 1)[1])
    ports = wait_for(lambda: [p["port"] for p in _ports(portal, member, agent)], message="ports")
    assert port in ports

    assert proc.terminate() == 0, proc.output()
    agent = fresh(agent_row)
    assert agent.lifecycle_state == "off"
    assert marker.exists()
    assert "bye" in log_text(agent)
    assert agent_status(agent) == "disconnected"


def _ports(portal, user, agent):
    from accounts.services.tokens import issue_token_for_tests

    token = issue_token_for_tests(user)
    answer = httpx.get(f"{portal}/api/v2/workspaceagents/{agent.pk}/listening-ports",
                       headers={"Coder-Session-Token": token})
    assert answer.status_code == 200, answer.text
    return answer.json()["ports"]


@pytest.mark.parametrize("script, timeout, state", [
    ("echo 'about to fail'; echo 'oops' >&2; exit 3", 0, "start_error"),
    ("echo slow; sleep 30", 1, "start_timeout"),
])
def test_failing_startup_script(portal, run_agent, member, org, script, timeout, state):
    agent_row = make_agent(member, org, f"tok-fail-{state}", scripts=[
        {"display_name": "startup", "run_on_start": True, "script": script, "timeout_seconds": timeout}])
    proc = run_agent(portal, f"tok-fail-{state}")
    wait_for(lambda: fresh(agent_row).lifecycle_state == state, message=state)
    text = log_text(agent_row)
    assert ("about to fail" in text and "oops" in text) if state == "start_error" else "timed out" in text
    assert proc.terminate() == 0


def test_failing_shutdown_script(portal, run_agent, member, org):
    agent_row = make_agent(member, org, "tok-shut-1", scripts=[
        {"display_name": "stop", "run_on_stop": True, "script": "echo cleaning; exit 1"}])
    proc = run_agent(portal, "tok-shut-1")
    wait_for(lambda: fresh(agent_row).lifecycle_state == "ready", message="ready")
    proc.terminate()
    assert fresh(agent_row).lifecycle_state == "shutdown_error"
    assert "cleaning" in log_text(agent_row)


def test_killed_agent_goes_silent_and_reconnects_on_restart(portal, run_agent, member, org):
    from workspaces.api.serializers.agents import INACTIVE_DISCONNECT

    agent_row = make_agent(member, org, "tok-kill-1")
    proc = run_agent(portal, "tok-kill-1")
    wait_for(lambda: fresh(agent_row).lifecycle_state == "ready", message="ready")
    proc.kill()
    silent_since = fresh(agent_row).last_connected_at
    # Nobody heartbeats any more: past the inactive timeout the agent reads disconnected.
    assert agent_status(fresh(agent_row), now=silent_since + INACTIVE_DISCONNECT * 1.1) == "disconnected"

    run_agent(portal, "tok-kill-1")
    wait_for(lambda: fresh(agent_row).last_connected_at > silent_since, message="reconnect")
    assert agent_status(fresh(agent_row)) == "connected"


def test_init_script_downloads_and_starts_the_agent(portal, member, org, tmp_path):
    """Coder's contract end to end: the provider's init script fetches /bin/coder-agent."""
    agent_row = make_agent(member, org, "tok-init-1", scripts=[
        {"display_name": "startup", "run_on_start": True, "script": "echo started by init script"}])
    script = tmp_path / "init.sh"
    script.write_text(render_init_script(portal, "linux", "amd64", "token"))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CODER_AGENT_TOKEN": "tok-init-1",
           "CODER_AGENT_BINARY_DIR": str(tmp_path)}
    proc = subprocess.Popen(["sh", str(script)], env=env, cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: fresh(agent_row).lifecycle_state == "ready", timeout=60, message="ready")
        assert "started by init script" in log_text(agent_row)
        assert (tmp_path / "coder-agent").read_bytes().startswith(b"#!/usr/bin/env python3")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    assert fresh(agent_row).lifecycle_state == "off"


def test_zipapp_is_self_contained(portal, tmp_path):
    binary = tmp_path / "coder-agent"
    answer = httpx.get(f"{portal}/bin/coder-agent?os=linux&arch=amd64")
    assert answer.status_code == 200
    binary.write_bytes(answer.content)
    # A bare interpreter (no site-packages, no repository on the path) can run it.
    done = subprocess.run(["python3", "-I", "-S", str(binary), "--help"], capture_output=True, text=True,
                          cwd=Path("/"))
    assert done.returncode == 0, done.stderr
    assert "agent" in done.stdout
    probe = subprocess.run(["python3", "-I", "-S", "-c",
                            f"import sys; sys.path.insert(0, {str(binary)!r}); import agent.relay"],
                           capture_output=True, text=True, cwd=Path("/"))
    assert probe.returncode == 0, probe.stderr


def test_agent_without_a_portal_retries_and_stops_cleanly(run_agent, tmp_path):
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    proc = run_agent(dead, "tok-nowhere")
    time.sleep(1.5)  # let it fail to connect at least once
    assert proc.proc.poll() is None  # still retrying
    assert proc.terminate() == 0, proc.output()
