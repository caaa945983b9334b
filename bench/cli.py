#!/usr/bin/env python
"""CLI start-up and `ssh -- true` round trip, with the single file the portal serves.

A `serve` process with one built-in provisioner worker builds a real workspace (the
template of tests/agent/templates/real). Then, each run by a clean interpreter
(`python3 -I -S`, no site-packages) with HOME in a temporary directory:

- `coderportal whoami` wall time (start-up, argument parsing, one authenticated request),
  against two baselines measured in the same run: the bare interpreter (`-c pass`) and a
  stdlib one-liner that makes the same request (`urllib`, no CLI);
- `coderportal ssh bench -- true` wall time (CLI, OpenSSH, ProxyCommand = the CLI again,
  portal, relay, agent's SSH server, the command, teardown), against OpenSSH to the same
  SSH server code on a loopback port (no CLI, portal or relay).

    .venv/bin/python bench/cli.py [--samples 30]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build_overhead import Portal  # noqa: E402
from connectivity import SSH_OPTS, DirectSshServer, percentile, remove_workspaces, start_workspace  # noqa: E402
from serve_process import Server  # noqa: E402

CLEAN = [sys.executable, "-I", "-S"]


def timed(argv: list[str], samples: int, env: dict) -> list[float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed: {done.stderr.decode()[-300:]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    # The workspace's python3 needs paramiko for the agent's SSH server: this interpreter has it.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    tmp = Path(tempfile.mkdtemp(prefix="coderportal-cli-bench-"))
    server = Server(daemons=1)
    results = {}
    try:
        server.wait_healthy()
        portal = Portal(server.base)
        workspace, _ = start_workspace(portal, str(tmp / "workspaces"))
        token = portal.http.headers["Coder-Session-Token"]
        cli = tmp / "coderportal"
        cli.write_bytes(portal.http.get("/bin/coderportal").content)
        home = tmp / "home"
        home.mkdir()
        env = {"PATH": os.environ["PATH"], "HOME": str(home)}
        subprocess.run([*CLEAN, str(cli), "login", server.base, "--token", token], env=env, check=True,
                       capture_output=True)
        results["interpreter"] = timed([*CLEAN, "-c", "pass"], args.samples, env)
        url = server.base + "/api/v2/users/me"
        request = (f"import urllib.request as u; r = u.Request({url!r}, headers={{'Coder-Session-Token': {token!r}}}); "
                   "u.urlopen(r).read()")
        results["urllib"] = timed([*CLEAN, "-c", request], args.samples, env)
        results["whoami"] = timed([*CLEAN, str(cli), "whoami"], args.samples, env)
        # The relay comes up beside "ready": one warm-up connection first.
        deadline = time.monotonic() + 60
        while subprocess.run([*CLEAN, str(cli), "ssh", "bench", "--", "true"], env=env,
                             capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise SystemExit("ssh did not work")
            time.sleep(1)
        results["ssh"] = timed([*CLEAN, str(cli), "ssh", "bench", "--", "true"], args.samples, env)
        direct = DirectSshServer(str(tmp))
        results["ssh_direct"] = timed(["ssh", "-T", *SSH_OPTS, "-p", str(direct.port), "127.0.0.1", "true"],
                                      args.samples, env)
        portal.wait(portal.build(workspace["id"], "delete")["id"])
    finally:
        server.stop()
        remove_workspaces(tmp)

    def line(name, label):
        values = results[name]
        return f"{label}: p50 {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms"

    print(line("interpreter", "python3 -I -S -c pass (floor)"))
    print(line("urllib", "stdlib GET /api/v2/users/me (baseline)"))
    print(line("whoami", "coderportal whoami"))
    ratio = statistics.median(results["whoami"]) / statistics.median(results["urllib"])
    print(f"  whoami / urllib baseline: {ratio:.2f}x")
    print(line("ssh_direct", "OpenSSH to the same SSH server on loopback (baseline)"))
    print(line("ssh", "coderportal ssh bench -- true"))
    print(f"  ssh / direct: {statistics.median(results['ssh']) / statistics.median(results['ssh_direct']):.2f}x")


if __name__ == "__main__":
    main()
