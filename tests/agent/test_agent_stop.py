"""The agent's stop (a real agent subprocess, a live portal): every process its scripts
started is ended after the stop scripts ran, detached ones included; and the stop is
bounded when the portal has become unreachable."""
from __future__ import annotations

import os
import socket
import subprocess
import threading
import time

import pytest

from agent import processes
from tests.agent.conftest import _free_port, make_agent, processes_with_env, wait_for
from tests.workspaces.helpers import alive
from workspaces.models import WorkspaceAgent

pytestmark = pytest.mark.timeout(120)


def test_stop_ends_what_scripts_left_running_after_the_stop_scripts(portal, run_agent, member, org, tmp_path):
    port = _free_port()
    # A server left behind with nohup (the script's process group), a `setsid` child (its
    # own session) and a daemon's double fork (re-parented, own session).
    startup = f"""
        nohup python3 -m http.server {port} --bind 127.0.0.1 >/dev/null 2>&1 < /dev/null &
        echo $! > server.pid
        setsid sleep 600 >/dev/null 2>&1 < /dev/null &
        echo $! > setsid.pid
        ( setsid sh -c 'sleep 601 & echo $! > daemon.pid' >/dev/null 2>&1 < /dev/null & )
    """
    agent_row = make_agent(member, org, "tok-stop-ends", directory=str(tmp_path), scripts=[
        {"display_name": "startup", "run_on_start": True, "script": startup},
        {"display_name": "stop", "run_on_stop": True,
         "script": 'kill -0 "$(cat server.pid)" && echo alive > at-stop'}])
    workspace_id = str(agent_row.resource.build.workspace_id)
    proc = run_agent(portal, "tok-stop-ends")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=agent_row.pk).lifecycle_state == "ready", message="ready")
    wait_for(lambda: (tmp_path / "daemon.pid").exists(), message="daemon started")
    wait_for(lambda: _listening(port), message="server listening")
    left = [int((tmp_path / f"{name}.pid").read_text()) for name in ("server", "setsid", "daemon")]
    assert all(alive(pid) for pid in left)

    assert proc.terminate() == 0, proc.output()
    assert (tmp_path / "at-stop").read_text().strip() == "alive"  # still there for the stop script
    assert [pid for pid in left if alive(pid)] == []
    assert not _listening(port)  # the next start can bind it again
    assert WorkspaceAgent.objects.get(pk=agent_row.pk).lifecycle_state == "off"
    # Nothing at all is left that names the workspace (the agent puts its id in every child's env).
    assert processes_with_env("CODER_WORKSPACE_ID", workspace_id) == []


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Blackhole:
    """A TCP forwarder to the portal that can go silent: then it accepts connections and
    reads what arrives but answers nothing, as a portal behind a dead network does."""

    def __init__(self, upstream: str):
        host, port = upstream.rsplit("//", 1)[1].split(":")
        self.upstream = (host, int(port))
        self.silent = threading.Event()
        self.closed = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.silent.is_set():
                threading.Thread(target=self._drain, args=(client,), daemon=True).start()
                continue
            upstream = socket.create_connection(self.upstream)
            self.sockets.append(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _drain(self, sock):
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass

    def _pump(self, src, dst):
        try:
            while data := src.recv(65536):
                if not self.silent.is_set():
                    dst.sendall(data)
        except OSError:
            pass

    def close(self):
        self.closed.set()
        for sock in [self.server, *self.sockets]:
            try:
                sock.close()
            except OSError:
                pass


def test_shutdown_is_bounded_when_the_portal_is_unreachable(portal, run_agent, member, org, tmp_path,
                                                            monkeypatch):
    shutdown_timeout, margin = 8, 12
    monkeypatch.setenv("CODER_AGENT_SHUTDOWN_TIMEOUT", f"{shutdown_timeout}s")
    agent_row = make_agent(member, org, "tok-stop-bound", directory=str(tmp_path), scripts=[
        # A stop script that would never end on its own (no timeout of its own).
        {"display_name": "stop", "run_on_stop": True, "script": "echo stopping; sleep 600"}])
    workspace_id = str(agent_row.resource.build.workspace_id)
    hole = Blackhole(portal)
    try:
        proc = run_agent(hole.url, "tok-stop-bound")
        wait_for(lambda: WorkspaceAgent.objects.get(pk=agent_row.pk).lifecycle_state == "ready", message="ready")
        hole.silent.set()
        proc.proc.send_signal(15)
        deadline = time.monotonic() + shutdown_timeout + margin
        while proc.proc.poll() is None:
            assert time.monotonic() < deadline, f"agent still stopping\n{proc.output()}"
            time.sleep(0.1)
        assert proc.proc.returncode == 1, proc.output()  # it could not report its outcome
        assert processes_with_env("CODER_WORKSPACE_ID", workspace_id) == []  # the stop script too
    finally:
        hole.close()


def test_sweep_kills_what_ignores_sigterm_and_spares_the_rest(tmp_path):
    marker = processes.new_marker()
    env = {**os.environ, processes.MARKER: marker}
    stubborn = subprocess.Popen(["sh", "-c", "trap '' TERM; echo ready; sleep 600 & wait"], env=env,
                                stdout=subprocess.PIPE, start_new_session=True)
    bystander = subprocess.Popen(["sleep", "600"], start_new_session=True)  # not marked
    try:
        assert stubborn.stdout.readline() == b"ready\n"
        wait_for(lambda: len(processes.marked_processes(marker)) == 2, message="both marked")  # sh and sleep
        assert processes.end_all(marker, grace=0.5) >= 2
        assert stubborn.wait(10) == -9  # SIGKILL after the grace period
        assert processes.marked_processes(marker) == set()
        assert bystander.poll() is None
    finally:
        for proc in (stubborn, bystander):
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        stubborn.stdout.close()
