#!/usr/bin/env python
"""API load with a native client (`wrk`): this tree against a baseline git ref, in one run.

For each tree (the working tree, and `--baseline REF` exported with `git archive` into a
temporary folder) it starts `manage.py serve` (embedded default, or PostgreSQL + Redis when
CODER_PG_CONNECTION_URL / CODER_REDIS_URL are set), bootstraps a user and an API token, then runs
`wrk` against `/healthz`, `GET /api/v2/users/me` and `GET /api/v2/workspaces?limit=25` at each
connection count, and prints requests/s, p50/p99 latency, errors (non-2xx and socket errors),
CPU milliseconds per request of the web processes, and the most PostgreSQL connections the
server held during the load; then the ratio of each figure to the baseline's.

    .venv/bin/python bench/api_load.py --baseline main --connections 32 200 --duration 20
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from api_throughput import bootstrap
from serve_process import ROOT, Server

ENDPOINTS = (("healthz", "/healthz", False), ("users/me", "/api/v2/users/me", True),
             ("workspaces", "/api/v2/workspaces?limit=25", True))
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> dict:
    """requests/s, p50/p99 (ms) and errors from `wrk --latency` output."""
    def latency(pct: str) -> float:
        match = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return float(match.group(1)) * UNITS[match.group(2)] if match else float("nan")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    bad = int(non2xx.group(1)) if non2xx else 0
    timeouts = int(socket.group(4)) if socket else 0
    errors = bad + (sum(map(int, socket.groups())) if socket else 0)
    return {"rps": float(rps.group(1)) if rps else 0.0, "requests": int(total.group(1)) if total else 0,
            "p50": latency("50"), "p99": latency("99"), "errors": errors, "non2xx": bad, "timeouts": timeouts}


class PgConnections:
    """Samples pg_stat_activity for the server's database over one connection opened before the
    load (a server that exhausts max_connections must not hide its own count); keeps the maximum
    since the last `reset()`."""

    def __init__(self, server: Server):
        self.url, self.most, self.stopped = server.postgres_url, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    def _run(self):
        import psycopg

        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            self.ready.set()
            while not self.stopped.wait(0.2):
                count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()[0]
                self.most = max(self.most, count)

    def reset(self) -> None:
        self.most = 0

    def __enter__(self):
        if self.url:
            self.thread.start()
            self.ready.wait(30)
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        if self.url:
            self.thread.join()


def wrk(base: str, path: str, token: str | None, connections: int, duration: float, timeout: float = 30) -> dict:
    """One `wrk` run; a response slower than `timeout` seconds counts as an error (a timeout)."""
    command = ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s",
               "--timeout", f"{timeout:g}s"]
    if token:
        command += ["-H", f"Coder-Session-Token: {token}"]
    result = subprocess.run([*command, base + path], capture_output=True, text=True, timeout=duration + timeout + 60)
    return parse_wrk(result.stdout)


def measure(label: str, root: Path, web_workers: int, levels: list[int], duration: float,
            endpoints=ENDPOINTS) -> list[dict]:
    server = Server(web_workers=web_workers, redis_db=13, root=root)
    rows = []
    try:
        server.wait_healthy()
        token = bootstrap(server.base)
        with PgConnections(server) as pg:
            for _, path, auth in endpoints:  # warm caches and connections
                wrk(server.base, path, token if auth else None, 2, 1)
            for connections in levels:
                for name, path, auth in endpoints:
                    cpu_before = server.web_cpu_seconds()
                    pg.reset()
                    result = wrk(server.base, path, token if auth else None, connections, duration)
                    result["cpu_ms"] = (server.web_cpu_seconds() - cpu_before) * 1000 / max(result["requests"], 1)
                    result["pg"] = pg.most if server.postgres_url else None
                    rows.append({"tree": label, "endpoint": name, "connections": connections, **result})
    finally:
        server.stop()
    return rows


def export(ref: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="coderportal-baseline-"))
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="git ref measured first, in the same run (e.g. main)")
    parser.add_argument("--web-workers", type=int, default=None, help="default: serve's own default")
    parser.add_argument("--connections", type=int, nargs="+", default=[32, 200])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per measurement")
    parser.add_argument("--endpoints", nargs="+", choices=[name for name, _, _ in ENDPOINTS],
                        default=[name for name, _, _ in ENDPOINTS])
    args = parser.parse_args()
    selected = [e for e in ENDPOINTS if e[0] in args.endpoints]
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")
    backend = "PostgreSQL+Redis" if os.environ.get("CODER_PG_CONNECTION_URL") else "embedded (SQLite)"
    print(f"backend: {backend}; cores: {os.cpu_count()}; load: wrk -t2, loopback; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    rows = []
    if args.baseline:
        baseline = export(args.baseline)
        try:
            rows += measure(f"baseline {args.baseline}", baseline, args.web_workers, args.connections, args.duration,
                            selected)
        finally:
            shutil.rmtree(baseline, ignore_errors=True)
    rows += measure("this tree", ROOT, args.web_workers, args.connections, args.duration, selected)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"{'tree':>16} {'endpoint':>10} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
          f"{'non-2xx':>7} {'timeouts':>8} {'CPU ms/req':>10} {'PG conns':>8}")
    for r in rows:
        pg = "-" if r["pg"] is None else str(r["pg"])
        print(f"{r['tree']:>16} {r['endpoint']:>10} {r['connections']:>5} {r['rps']:>8.0f} {r['p50']:>8.1f} "
              f"{r['p99']:>8.1f} {r['errors']:>7} {r['non2xx']:>7} {r['timeouts']:>8} {r['cpu_ms']:>10.2f} {pg:>8}")
    if args.baseline:
        print("ratio this tree / baseline (req/s, CPU ms/req)")
        for r in rows:
            if r["tree"] != "this tree":
                continue
            base = next(b for b in rows if b["tree"] != "this tree" and b["endpoint"] == r["endpoint"]
                        and b["connections"] == r["connections"])
            speedup = r["rps"] / max(base["rps"], 1e-9)
            print(f"  {r['endpoint']:>10} at {r['connections']:>4} connections: req/s x{speedup:.2f}, "
                  f"CPU/req x{r['cpu_ms'] / max(base['cpu_ms'], 1e-9):.2f}, errors {base['errors']} -> {r['errors']}")


if __name__ == "__main__":
    main()
