"""The user commands of the single-file CLI (Coder's names): `login`, `ssh` (and
`ssh --stdio` for an OpenSSH ProxyCommand), `config-ssh`, `port-forward`.

Credentials live in the config directory (`--global-config`, `$CODER_CONFIG_DIR`, default
`~/.config/coderportal`) as two files, `url` and `session`, as Coder's CLI keeps them;
`$CODER_URL` and `$CODER_SESSION_TOKEN` override them.
"""
from __future__ import annotations

import getpass
import os
import re
import shlex
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from .client import TOKEN_HEADER, APIError, Client

START_MARKER = "# ------------START-CODER-----------"
END_MARKER = "# ------------END-CODER------------"
HOST_PREFIX = "coder."


def config_dir(args) -> Path:
    chosen = getattr(args, "global_config", "") or os.environ.get("CODER_CONFIG_DIR", "")
    return Path(chosen or "~/.config/coderportal").expanduser()


def session(args) -> Client:
    folder = config_dir(args)
    url = os.environ.get("CODER_URL") or _read(folder / "url")
    token = os.environ.get("CODER_SESSION_TOKEN") or _read(folder / "session")
    if not url or not token:
        raise SystemExit("error: not logged in; run `login <url>` first")
    return Client(url, token)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


# -- login -------------------------------------------------------------------------------
def login(args) -> int:
    url = args.url.rstrip("/")
    if "://" not in url:
        url = "https://" + url
    token = args.token or os.environ.get("CODER_SESSION_TOKEN", "")
    if not token:
        print(f"Open {url}/cli-auth in your browser to get a session token.", file=sys.stderr)
        token = getpass.getpass("Paste your token here: ").strip()
    try:
        me = Client(url, token).request("GET", "/api/v2/users/me")
    except (APIError, OSError) as exc:
        print(f"error: login failed: {exc}", file=sys.stderr)
        return 1
    folder = config_dir(args)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "url").write_text(url + "\n")
    session_file = folder / "session"
    session_file.touch(mode=0o600)
    session_file.write_text(token + "\n")
    print(f"Welcome, {me.get('username', '')}! You are logged in to {url}.")
    return 0


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
        raise SystemExit(f"error: workspace {spec!r} has no {'agent ' + repr(agent_name) if agent_name else 'agent'}"
                         " (is it running?)")
    if len(agents) > 1:
        raise SystemExit(f"error: workspace {spec!r} has several agents; use {name}.<agent>: "
                         + ", ".join(a["name"] for a in agents))
    return workspace, agents[0]


def ws_connect(client: Client, path: str):
    from websockets.sync.client import connect

    base = client.url
    base = "wss://" + base[8:] if base.startswith("https://") else "ws://" + base.split("://", 1)[-1]
    return connect(base + path, additional_headers={TOKEN_HEADER: client.token}, open_timeout=15, max_size=None)


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
        command = ["env", f"PYTHONPATH={here.parent.parent}", sys.executable, "-m", "agent"]
    return command


def proxy_command(args, host: str) -> str:
    return shlex.join([*self_command(args), "ssh", "--stdio", host, "--global-config", str(config_dir(args))])


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
    if args.stdio:
        _, agent = resolve_agent(client, args.workspace)
        wait_for_agent(client, agent, args.wait)
        with ws_connect(client, f"/api/v2/workspaceagents/{agent['id']}/ssh") as ws:
            bridge(ws, lambda: read_available(0), lambda data: (os.write(1, data)))
        return 0
    _, agent = resolve_agent(client, args.workspace)  # fail early, with a clear message
    wait_for_agent(client, agent, args.wait)
    host = args.workspace if args.workspace.startswith(HOST_PREFIX) else HOST_PREFIX + args.workspace
    proxy = proxy_command(args, host)
    argv = ["ssh", "-o", f"ProxyCommand={proxy}", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", host, *args.command]
    os.execvp("ssh", argv)
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
    section = "\n".join([START_MARKER, *blocks, END_MARKER]) + "\n"
    path = Path(args.ssh_config_file).expanduser()
    current = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(START_MARKER) + r".*?" + re.escape(END_MARKER) + r"\n?", re.S)
    updated = pattern.sub(lambda _: section, current) if pattern.search(current) else (
        current + ("\n" if current and not current.endswith("\n") else "") + section)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(updated)
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


def add_commands(sub) -> None:
    common = __import__("argparse").ArgumentParser(add_help=False)
    common.add_argument("--global-config", default="", help="Config directory (url and session files).")
    p = sub.add_parser("login", parents=[common], help="Log in to a portal and store the session token.")
    p.add_argument("url")
    p.add_argument("--token", default="", help="Session token (else $CODER_SESSION_TOKEN, else a prompt).")
    p.set_defaults(func=login)
    p = sub.add_parser("ssh", parents=[common], help="SSH into a workspace.")
    p.add_argument("--stdio", action="store_true", help="Speak SSH on stdin/stdout (OpenSSH ProxyCommand).")
    p.add_argument("workspace", help="[owner/]workspace[.agent]")
    p.add_argument("command", nargs="*", help="Command to run instead of a shell.")
    p.add_argument("--wait", choices=["yes", "no", "auto"], default="auto",
                   help="Wait for start scripts first (auto: when a script blocks login).")
    p.set_defaults(func=ssh)
    p = sub.add_parser("config-ssh", parents=[common], help="Add Host coder.<workspace> blocks to ~/.ssh/config.")
    p.add_argument("--ssh-config-file", default="~/.ssh/config")
    p.set_defaults(func=config_ssh)
    p = sub.add_parser("port-forward", parents=[common], help="Forward local TCP ports to a workspace.")
    p.add_argument("workspace")
    p.add_argument("--tcp", action="append", default=[], help="LOCAL:REMOTE (repeatable).")
    p.set_defaults(func=port_forward)
