"""Agent test fixtures: the portal served for real (uvicorn on loopback, HTTP and
websockets, in this process so it shares the test database), workspace/agent rows made
directly with a known token, and the agent run as a real subprocess."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def portal(transactional_db, settings):
    """URL of a live ASGI portal (uvicorn in a thread)."""
    import uvicorn
    from channels.layers import channel_layers

    from coderportal.asgi import application

    # Each test's server runs its own event loop; a channel layer (Redis's holds asyncio locks)
    # must not outlive the loop it was first used on.
    channel_layers.backends.clear()

    port = _free_port()
    settings.ACCESS_URL = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "portal did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    channel_layers.backends.clear()


def make_agent(owner, org, token: str, *, scripts=(), metadata=(), apps=(), name="main", connection_timeout=120,
               directory=""):
    """A workspace of `owner` with one started build holding one agent authenticated by `token`."""
    from templates_app.models import File, ProvisionerJob, Template, TemplateVersion
    from workspaces.models import (
        Workspace,
        WorkspaceAgent,
        WorkspaceAgentMetadata,
        WorkspaceAgentScript,
        WorkspaceApp,
        WorkspaceBuild,
        WorkspaceResource,
    )

    file = File.objects.get_or_create(hash="0" * 64, created_by=owner,
                                      defaults={"mimetype": "application/x-tar", "size": 0, "data": b""})[0]
    import_job = ProvisionerJob.objects.create(organization=org, type="template_version_import", file=file,
                                               status="succeeded")
    version = TemplateVersion.objects.create(organization=org, name=f"v-{token[:6]}", file=file, job=import_job)
    template = Template.objects.create(organization=org, name=f"t-{token[:6]}", active_version=version)
    workspace = Workspace.objects.create(owner=owner, organization=org, template=template, name=f"ws-{token[:6]}")
    job = ProvisionerJob.objects.create(organization=org, type="workspace_build", file=file, status="succeeded")
    build = WorkspaceBuild.objects.create(workspace=workspace, template_version=version, build_number=1,
                                          transition="start", job=job, active=False)
    Workspace.objects.filter(pk=workspace.pk).update(latest_build=build)
    resource = WorkspaceResource.objects.create(build=build, job=job, transition="start", type="null_resource",
                                                name="dev")
    agent = WorkspaceAgent.objects.create(resource=resource, name=name,
                                          auth_token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                          connection_timeout_seconds=connection_timeout, directory=directory,
                                          environment_variables={"FROM_CODER_ENV": "yes"})
    for i, s in enumerate(scripts):
        WorkspaceAgentScript.objects.create(agent=agent, display_name=s.get("display_name", f"script-{i}"),
                                            **{k: v for k, v in s.items() if k != "display_name"})
    for i, m in enumerate(metadata):
        WorkspaceAgentMetadata.objects.create(agent=agent, order=i, **m)
    for i, a in enumerate(apps):
        WorkspaceApp.objects.create(agent=agent, order=i, **a)
    return agent


class AgentProcess:
    def __init__(self, url: str, token: str, tmp_path: Path, args=()):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
        env.update(CODER_AGENT_URL=url, CODER_AGENT_TOKEN=token, HOME=str(tmp_path), PYTHONPATH=str(REPO))
        self.log = open(tmp_path / f"agent-{time.monotonic_ns()}.log", "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "agent", "agent", *args], env=env, cwd=tmp_path,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()


@pytest.fixture
def run_agent(tmp_path):
    started: list[AgentProcess] = []

    def start(url, token, args=()):
        agent = AgentProcess(url, token, tmp_path, args)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.kill()


def wait_for(predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)


def processes_with_env(name: str, value: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose environment holds name=value."""
    needle, found = f"{name}={value}".encode(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                environ = fh.read().split(b"\0")
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                command = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in environ:
            found.append((int(entry), command))
    return found
