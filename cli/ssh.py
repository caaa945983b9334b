"""`ssh` (and `ssh --stdio` for an OpenSSH ProxyCommand), `config-ssh`, `port-forward`:
OpenSSH on this side, the agent's SSH server on the other, the portal's websocket relay
between. Every failure is said in one line: the relay's close reason (e.g. what the
workspace's SSH server lacks), or why the portal refused."""
from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from .client import TOKEN_HEADER, Client
from .config import CLIError, config_dir, session

START_MARKER = "# ------------START-CODER-----------"
END_MARKER = "# ------------END-CODER------------"
HOST_PREFIX = "coder."


# -- workspace lookup --------------------------------------------------------------------
def resolve_agent(client: Client, spec: str) -> tuple[dict, dict]:
    """`[owner/]workspace[.agent]` (a `coder.` prefix allowed) -> (workspace, agent) JSON."""
    spec = spec[len(HOST_PREFIX):] if spec.startswith(HOST_PREFIX) else spec
    owner, _, rest = spec.rpartition("/")
    name, _, agent_name = rest.partition(".")
    quoted = urllib.parse.quote(name)
    workspace = client.request("GET", f"/api/v2/users/{urllib.parse.quote(owner or 'me')}/workspace/{quoted}")
    agents = [a for r in (workspace.get("latest_build") or {}).get("resources", []) for a in r.get("agents", [])]
    if agent_name:
        agents = [a for a in agents if a["name"] == agent_name]
    if not agents:
        raise CLIError(f"workspace {spec!r} has no {'agent ' + repr(agent_name) if agent_name else 'agent'}"
                         " (is it running?)")
    if len(agents) > 1:
        raise CLIError(f"workspace {spec!r} has several agents; use {name}.<agent>: "
                         + ", ".join(a["name"] for a in agents))
    return workspace, agents[0]


CLOSE_REASONS = {4401: "the portal did not accept your session token (run `coderportal login`)",
                 4403: "you may not connect to this workspace", 4404: "the workspace agent was not found",
                 4400: "the portal refused the request as invalid",
                 4504: "the workspace agent did not answer (is it connected?)"}


def ws_connect(client: Client, path: str):
    """A websocket to the portal (the stdlib client in `wsclient`). No Origin header: the portal
    accepts non-browser clients by their token; a browser's Origin would have to match the
    access URL."""
    from .wsclient import HandshakeError, connect

    base = client.url
    base = "wss://" + base[8:] if base.startswith("https://") else "ws://" + base.split("://", 1)[-1]
    try:
        return connect(base + path, headers={TOKEN_HEADER: client.token}, timeout=15)
    except HandshakeError as exc:
        raise CLIError(f"the portal refused the connection to {path.split('?')[0]}: {exc}") from None


def close_reason(ws) -> str:
    """Why the relay ended a stream, in words ('' when it ended normally)."""
    code, reason = ws.close_code, ws.close_reason or ""
    if code in (None, 1000, 1001, 1005):
        return ""
    return reason or CLOSE_REASONS.get(code, f"connection closed (code {code})")


def read_available(fd: int, limit: int = 1 << 20) -> bytes:
    """What is readable now (waiting for the first bytes), up to `limit`: bulk transfers go out
    in few large relay messages — each message has a fixed cost on every hop — while a
    single keystroke still leaves at once."""
    import select

    data = os.read(fd, 262144)
    while data and len(data) < limit and select.select([fd], [], [], 0)[0]:
        more = os.read(fd, limit - len(data))
        if not more:
            break
        data += more
    return data


def bridge(ws, read, write) -> None:
    """Copy `read()` chunks into the websocket and its frames out through `write`, until either ends."""
    def upstream():
        try:
            while True:
                data = read()
                if not data:
                    break
                ws.send(data)
        except Exception:  # noqa: BLE001 - the other direction reports the end
            pass
        finally:
            ws.close()

    threading.Thread(target=upstream, daemon=True).start()
    try:
        for frame in ws:
            write(frame if isinstance(frame, bytes) else frame.encode())
    except Exception:  # noqa: BLE001 - a closed connection ends the bridge
        pass


# -- ssh ---------------------------------------------------------------------------------
def self_command(args) -> list[str]:
    """How to run this CLI again (for ProxyCommand): the zipapp file, or the package."""
    here = Path(__file__).resolve()
    archive = next((p for p in here.parents if p.is_file()), None)
    if archive is not None:
        command = [sys.executable, str(archive)]
    else:
        command = ["env", f"PYTHONPATH={here.parent.parent}", sys.executable, "-m", "cli"]
    return command


def proxy_command(args, host: str) -> str:
    return shlex.join([*self_command(args), "--global-config", str(config_dir(args)), "ssh", "--stdio", host])


STARTING = ("created", "starting")


def wait_for_agent(client: Client, agent: dict, mode: str) -> None:
    """Coder's `--wait`: with `auto`, wait while start scripts that block login run."""
    blocking = any(s.get("start_blocks_login") for s in agent.get("scripts") or [])
    if mode == "no" or (mode == "auto" and not blocking):
        return
    announced = False
    while True:
        if agent.get("status") == "connected" and agent.get("lifecycle_state") not in STARTING:
            return
        if not announced:
            print("Waiting for the workspace agent to be ready...", file=sys.stderr)
            announced = True
        time.sleep(1)
        agent = client.request("GET", f"/api/v2/workspaceagents/{agent['id']}")


def ssh(args) -> int:
    client = session(args)
    _, agent = resolve_agent(client, args.workspace)  # fail early, with a clear message
    wait_for_agent(client, agent, args.wait)
    if args.stdio:
        with ws_connect(client, f"/api/v2/workspaceagents/{agent['id']}/ssh") as ws:
            bridge(ws, lambda: read_available(0), lambda data: (os.write(1, data)))
        reason = close_reason(ws)
        if reason:
            raise CLIError(f"ssh to {args.workspace}: {reason}")
        return 0
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]  # everything after the workspace (and an optional --) is the remote command
    host = args.workspace if args.workspace.startswith(HOST_PREFIX) else HOST_PREFIX + args.workspace
    proxy = proxy_command(args, host)
    argv = ["ssh", "-o", f"ProxyCommand={proxy}", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", host]
    if command:
        argv += ["--", *command]
    try:
        os.execvp("ssh", argv)
    except FileNotFoundError:
        raise CLIError("OpenSSH's `ssh` is not installed (or not on PATH)") from None
    return 127


def config_ssh(args) -> int:
    client = session(args)
    workspaces = client.request("GET", "/api/v2/workspaces?q=owner:me").get("workspaces", [])
    blocks = []
    for w in sorted(workspaces, key=lambda w: w["name"]):
        proxy = proxy_command(args, f"{HOST_PREFIX}{w['name']}")
        blocks.append(f"Host {HOST_PREFIX}{w['name']}\n\tHostName {HOST_PREFIX}{w['name']}\n"
                      f"\tProxyCommand {proxy}\n\tConnectTimeout 0\n\tStrictHostKeyChecking no\n"
                      f"\tUserKnownHostsFile /dev/null\n\tLogLevel ERROR\n")
    section = "" if args.remove else "\n".join([START_MARKER, *blocks, END_MARKER]) + "\n"
    path = Path(args.ssh_config_file).expanduser()
    current = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(START_MARKER) + r".*?" + re.escape(END_MARKER) + r"\n?", re.S)
    updated = pattern.sub(lambda _: section, current) if pattern.search(current) else (
        current + ("\n" if current and not current.endswith("\n") else "") + section)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(updated)
    if args.remove:
        print(f"Removed the coderportal block from {path}.")
    else:
        print(f"Updated {path}: {len(blocks)} workspace(s). Connect with `ssh {HOST_PREFIX}<workspace>`.")
    return 0


# -- port-forward ------------------------------------------------------------------------
def _serve_forward(client, agent_id, listener, remote) -> None:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_forward_one, args=(client, agent_id, conn, remote), daemon=True).start()


def _forward_one(client, agent_id, conn, remote) -> None:
    try:
        with ws_connect(client, f"/api/v2/workspaceagents/{agent_id}/tcp?port={remote}") as ws:
            bridge(ws, lambda: conn.recv(65536), conn.sendall)
    except Exception as exc:  # noqa: BLE001 - one failed connection must not stop the forwarder
        print(f"error: forwarding to port {remote}: {exc}", file=sys.stderr)
    finally:
        conn.close()


def port_forward(args) -> int:
    client = session(args)
    _, agent = resolve_agent(client, args.workspace)
    threads = []
    for spec in args.tcp:
        local, _, remote = spec.partition(":")
        if not remote:
            local, remote = local, local
        listener = socket.create_server(("127.0.0.1", int(local)))
        print(f"Forwarding 127.0.0.1:{listener.getsockname()[1]} -> {args.workspace}:{remote}", flush=True)
        thread = threading.Thread(target=_serve_forward, args=(client, agent["id"], listener, int(remote)),
                                  daemon=True)
        thread.start()
        threads.append(thread)
    if not threads:
        print("error: nothing to forward; use --tcp LOCAL:REMOTE", file=sys.stderr)
        return 2
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


def register(tree) -> None:
    p = tree.command("ssh", ssh, "SSH into a workspace: `ssh WORKSPACE[.agent] [-- command...]`.")
    p.add_argument("--stdio", action="store_true", help="Speak SSH on stdin/stdout (OpenSSH ProxyCommand).")
    p.add_argument("--wait", choices=["yes", "no", "auto"], default="auto",
                   help="Wait for start scripts first (auto: when a script blocks login).")
    p.add_argument("workspace", help="[owner/]workspace[.agent]")
    p.add_argument("command", nargs=argparse.REMAINDER, help="Remote command (everything after the workspace).")
    p = tree.command("config-ssh", config_ssh, "Add Host coder.<workspace> blocks to ~/.ssh/config.")
    p.add_argument("--ssh-config-file", default="~/.ssh/config")
    p.add_argument("--remove", action="store_true", help="Remove the managed block.")
    p.add_argument("-y", "--yes", action="store_true", help="Bypass prompts.")
    p = tree.command("port-forward", port_forward, "Forward local TCP ports to a workspace.")
    p.add_argument("workspace")
    p.add_argument("--tcp", action="append", default=[], help="LOCAL:REMOTE (repeatable).")
