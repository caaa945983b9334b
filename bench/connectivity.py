#!/usr/bin/env python
"""Connectivity: SSH, scp and the web terminal through the agent relay, and the agent's memory.

A `serve` process with one built-in provisioner worker builds a real workspace (the
template of tests/agent/templates/real: processes on this host) whose agent downloads
itself from the portal and connects its relay. Then:

- one-byte echo round trip over an SSH session (`ssh … cat`, OpenSSH client through the
  CLI's `ssh --stdio` ProxyCommand → portal → relay → agent);
- scp throughput of a 100 MB file up and down;
- web-terminal keystroke-to-echo latency (the PTY websocket, `cat` in a terminal);
- resident memory of the idle agent process.

Comparison ("direct"): the same SSH server code (agent/sshd.py) on a plain loopback TCP
port in this process, so OpenSSH connects to it without the CLI, the portal and the relay.
(No local OpenSSH server is assumed; `apt-get install -y openssh-server` would give a
third baseline, not measured here.)

    .venv/bin/python bench/connectivity.py [--size-mb 100] [--samples 300]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build_overhead import Portal  # noqa: E402
from serve_process import Server, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tests" / "agent" / "templates" / "real"
SSH_OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def template_archive() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = (TEMPLATE / "main.tf").read_bytes()
        info = tarfile.TarInfo("main.tf")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def start_workspace(portal: Portal, root: str) -> tuple[dict, str]:
    file_id = portal.call("POST", "/api/v2/files", content=template_archive(),
                          headers={"Content-Type": "application/x-tar"})["hash"]
    version = portal.call("POST", f"/api/v2/organizations/{portal.org}/templateversions", json={
        "file_id": file_id, "storage_method": "file", "provisioner": "terraform",
        "user_variable_values": [{"name": "workdir_root", "value": root},
                                 {"name": "app_port", "value": str(free_port())}]})
    while version["job"]["status"] in ("pending", "running"):
        time.sleep(0.2)
        version = portal.call("GET", f"/api/v2/templateversions/{version['id']}")
    template = portal.call("POST", f"/api/v2/organizations/{portal.org}/templates",
                           json={"name": "conn", "template_version_id": version["id"]})
    workspace = portal.create_workspace(template["id"], "bench")
    build = portal.wait(workspace["latest_build"]["id"])
    agent_id = next(a["id"] for r in build["resources"] for a in r["agents"])
    deadline = time.monotonic() + 120
    while portal.call("GET", f"/api/v2/workspaceagents/{agent_id}")["lifecycle_state"] != "ready":
        if time.monotonic() > deadline:
            raise SystemExit("the agent did not become ready")
        time.sleep(0.5)
    return workspace, agent_id


class DirectSshServer:
    """agent/sshd.py's server on a loopback TCP port: the relay-free baseline."""

    def __init__(self, workdir: str):
        from agent.sshd import SshStream

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        agent = SimpleNamespace(environment=lambda: dict(os.environ), directory=lambda: workdir)

        def handle(conn):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            stream = SshStream(agent, conn.sendall, lambda: conn.close())
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    break
                stream.write(data)
            stream.close()

        def accept():
            while True:
                try:
                    conn, _ = self.listener.accept()
                except OSError:
                    return
                threading.Thread(target=handle, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()


def echo_rtt(ssh_argv: list[str], samples: int) -> list[float]:
    proc = subprocess.Popen([*ssh_argv, "cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    try:
        times = []
        for i in range(samples + 20):
            start = time.perf_counter()
            proc.stdin.write(b"x")
            if proc.stdout.read(1) != b"x":
                raise SystemExit("echo failed")
            if i >= 20:  # the first round trips warm up the session
                times.append(time.perf_counter() - start)
        return times
    finally:
        proc.stdin.close()
        proc.wait(30)


def scp_seconds(scp_argv: list[str], source: str, target: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([*scp_argv, source, target], capture_output=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"scp failed: {done.stderr.decode()}")
    return time.perf_counter() - start


def terminal_latency(base: str, token: str, agent_id: str, samples: int) -> list[float]:
    import uuid

    from websockets.sync.client import connect

    url = base.replace("http://", "ws://") + (f"/api/v2/workspaceagents/{agent_id}/pty?reconnect={uuid.uuid4()}"
                                              "&width=80&height=24&command=cat")
    with connect(url, additional_headers={"Coder-Session-Token": token}, open_timeout=20) as ws:
        time.sleep(1)
        while True:  # drain the start-up output
            try:
                ws.recv(timeout=0.5)
            except TimeoutError:
                break
        times = []
        for i in range(samples + 20):
            key = "abcdefghij"[i % 10]
            start = time.perf_counter()
            ws.send(json.dumps({"data": key}))
            seen = ""
            while key not in seen:
                frame = ws.recv(timeout=20)
                seen += frame.decode(errors="replace") if isinstance(frame, bytes) else frame
            if i >= 20:
                times.append(time.perf_counter() - start)
        return times


def agent_rss_mib(workdir: Path) -> tuple[float, float]:
    """(the agent process, its whole process group) resident MiB."""
    pgid = int((workdir / "agent.pid").read_text())
    group = [p for p in psutil.process_iter(["pid", "cmdline"]) if _pgid(p.pid) == pgid]
    agent = [p for p in group if "agent" in (p.info["cmdline"] or [])[-1:]]
    rss = lambda ps: sum(p.memory_info().rss for p in ps) / 2**20  # noqa: E731
    return rss(agent), rss(group)


def remove_workspaces(tmp: Path) -> None:
    """Delete the benchmark's scratch directory, ending the app servers its workspaces started
    (the `local` template's site server is not in the agent's process group)."""
    for pid_file in (tmp / "workspaces").glob("*/site.pid"):
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
    shutil.rmtree(tmp, ignore_errors=True)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    # The workspace's python3 (this host's) needs paramiko for the agent's SSH server.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    tmp = Path(tempfile.mkdtemp(prefix="coderportal-conn-"))
    server = Server(daemons=1)
    try:
        server.wait_healthy()
        portal = Portal(server.base)
        workspace, agent_id = start_workspace(portal, str(tmp / "workspaces"))
        home = tmp / "workspaces" / workspace["id"] / "home"
        token = portal.http.headers["Coder-Session-Token"]
        cli = tmp / "coder"
        cli.write_bytes(portal.http.get("/bin/coderportal").content)
        config = tmp / "cli-config"
        subprocess.run([sys.executable, str(cli), "login", server.base, "--token", token, "--global-config",
                        str(config)], check=True, capture_output=True)
        proxy = ["-o", f"ProxyCommand={sys.executable} {cli} --global-config {config} ssh --stdio %h"]
        relay_ssh = ["ssh", "-T", *SSH_OPTS, *proxy, "coder.bench"]
        direct = DirectSshServer(str(tmp))
        direct_ssh = ["ssh", "-T", *SSH_OPTS, "-p", str(direct.port), "127.0.0.1"]
        for argv in (relay_ssh, direct_ssh):
            deadline = time.monotonic() + 60
            while subprocess.run([*argv, "echo", "hi"], capture_output=True).stdout != b"hi\n":
                if time.monotonic() > deadline:
                    raise SystemExit(f"ssh did not work: {argv}")
                time.sleep(1)

        results = {}
        for name, argv in (("relay", relay_ssh), ("direct", direct_ssh)):
            rtt = echo_rtt(argv, args.samples)
            results[f"ssh_rtt_{name}"] = (statistics.median(rtt), percentile(rtt, 0.95))
        payload = tmp / "payload.bin"
        with open(payload, "wb") as f:
            for _ in range(args.size_mb):
                f.write(os.urandom(2**20))
        down_dir = tmp / "down"
        down_dir.mkdir()
        for name, scp, remote_dir, host in (
                ("relay", ["scp", "-q", *SSH_OPTS, *proxy], home, "coder.bench"),
                ("direct", ["scp", "-q", *SSH_OPTS, "-P", str(direct.port)], tmp, "127.0.0.1")):
            up = scp_seconds(scp, str(payload), f"{host}:{remote_dir / 'up.bin'}")
            down = scp_seconds(scp, f"{host}:{remote_dir / 'up.bin'}", str(down_dir / f"{name}.bin"))
            if (down_dir / f"{name}.bin").stat().st_size != payload.stat().st_size:
                raise SystemExit("scp copied a different size")
            (remote_dir / "up.bin").unlink()
            results[f"scp_{name}"] = (args.size_mb / up, args.size_mb / down)
        keys = terminal_latency(server.base, token, agent_id, args.samples)
        results["terminal"] = (statistics.median(keys), percentile(keys, 0.95))
        time.sleep(10)  # idle: no session open
        results["agent_rss"] = agent_rss_mib(tmp / "workspaces" / workspace["id"])
        portal.wait(portal.build(workspace["id"], "delete")["id"])
    finally:
        server.stop()
        remove_workspaces(tmp)

    ms = lambda s: f"{s * 1000:.2f} ms"  # noqa: E731
    print(f"SSH one-byte echo RTT, relay:  p50 {ms(results['ssh_rtt_relay'][0])}, "
          f"p95 {ms(results['ssh_rtt_relay'][1])}")
    print(f"SSH one-byte echo RTT, direct: p50 {ms(results['ssh_rtt_direct'][0])}, "
          f"p95 {ms(results['ssh_rtt_direct'][1])}")
    for name in ("relay", "direct"):
        up, down = results[f"scp_{name}"]
        print(f"scp {args.size_mb} MB, {name}: up {up:.1f} MB/s, down {down:.1f} MB/s")
    print(f"web terminal keystroke→echo: p50 {ms(results['terminal'][0])}, p95 {ms(results['terminal'][1])}")
    print(f"idle agent RSS: {results['agent_rss'][0]:.1f} MiB (process group {results['agent_rss'][1]:.1f} MiB)")


if __name__ == "__main__":
    main()
