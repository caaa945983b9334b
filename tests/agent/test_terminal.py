"""The web terminal through the relay: a live portal, a real agent process, a websocket
client typing into a reconnecting PTY."""
from __future__ import annotations

import json
import uuid

import pytest
from django.core.cache import cache
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from accounts.services.tokens import issue_token_for_tests
from tests.agent.conftest import make_agent, wait_for
from workspaces.api.serializers.agents import agent_status
from workspaces.models import Workspace, WorkspaceAgent

pytestmark = pytest.mark.timeout(120)


def ws_url(portal: str, path: str) -> str:
    return portal.replace("http://", "ws://") + path


def read_until(ws, needle: str, timeout: float = 20) -> str:
    seen = ""
    while needle not in seen:
        frame = ws.recv(timeout=timeout)
        seen += frame.decode(errors="replace") if isinstance(frame, bytes) else frame
    return seen


@pytest.fixture
def ready_agent(portal, run_agent, member, org, tmp_path):
    agent = make_agent(member, org, "tok-term-1", directory=str(tmp_path))
    proc = run_agent(portal, "tok-term-1")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=agent.pk).lifecycle_state == "ready", message="ready")
    # "ready" is about scripts; the relay websocket comes up on its own: wait for a working shell.
    wait_for(lambda: _relay_up(portal, agent, member), message="relay up")
    return agent, proc


def open_pty(portal, agent, user, reconnect, width=80, height=24):
    token = issue_token_for_tests(user)
    return connect(ws_url(portal, f"/api/v2/workspaceagents/{agent.pk}/pty?reconnect={reconnect}"
                                  f"&width={width}&height={height}"),
                   additional_headers={"Coder-Session-Token": token}, open_timeout=10)


def test_terminal_echo_resize_and_reconnect(portal, ready_agent, member):
    agent, _ = ready_agent
    reconnect = str(uuid.uuid4())
    cache.clear()  # waiting for the relay was activity already; let this session count again
    before = Workspace.objects.get(pk=agent.resource.build.workspace_id).last_used_at
    with open_pty(portal, agent, member, reconnect) as ws:
        ws.send(json.dumps({"data": "echo hi-$((6*7))\r"}))
        read_until(ws, "hi-42")
        ws.send(json.dumps({"height": 40, "width": 100}))
        ws.send(json.dumps({"data": "stty size; echo $FROM_CODER_ENV-env\r"}))
        # One read for both: they may arrive in one frame.
        assert "40 100" in read_until(ws, "yes-env")
    assert Workspace.objects.get(pk=agent.resource.build.workspace_id).last_used_at != before

    # Same reconnect id: the same shell, its scrollback replayed, its state kept.
    with open_pty(portal, agent, member, reconnect) as ws:
        read_until(ws, "hi-42")
        ws.send(json.dumps({"data": "export KEPT=still-here; echo $KEPT\r"}))
        read_until(ws, "still-here")
    with open_pty(portal, agent, member, reconnect) as ws:
        ws.send(json.dumps({"data": "echo again-$KEPT\r"}))
        read_until(ws, "again-still-here")

    # A new id is a new shell.
    with open_pty(portal, agent, member, str(uuid.uuid4())) as ws:
        ws.send(json.dumps({"data": "echo fresh-${KEPT:-none}\r"}))
        read_until(ws, "fresh-none")


def test_shell_exit_closes_the_terminal(portal, ready_agent, member):
    agent, _ = ready_agent
    with open_pty(portal, agent, member, str(uuid.uuid4())) as ws:
        ws.send(json.dumps({"data": "exit\r"}))
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=20)


@pytest.mark.parametrize("who, code", [("outsider", 4404), (None, 4401)])
def test_terminal_is_authorized(portal, ready_agent, request, who, code):
    agent, _ = ready_agent
    headers = {"Coder-Session-Token": issue_token_for_tests(request.getfixturevalue(who))} if who else {}
    with connect(ws_url(portal, f"/api/v2/workspaceagents/{agent.pk}/pty"), additional_headers=headers) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == code


def test_killed_agent_is_disconnected_at_once_and_reconnects(portal, ready_agent, run_agent, member):
    agent, proc = ready_agent
    proc.kill()
    wait_for(lambda: agent_status(WorkspaceAgent.objects.get(pk=agent.pk)) == "disconnected",
             message="disconnected")
    run_agent(portal, "tok-term-1")
    wait_for(lambda: agent_status(WorkspaceAgent.objects.get(pk=agent.pk)) == "connected", message="reconnected")
    wait_for(lambda: _relay_up(portal, agent, member), message="relay up again")


def _relay_up(portal, agent, member) -> bool:
    try:
        with open_pty(portal, agent, member, str(uuid.uuid4())) as ws:
            ws.send(json.dumps({"data": "echo up\r"}))
            read_until(ws, "up", timeout=5)
            return True
    except (ConnectionClosed, TimeoutError):
        return False
