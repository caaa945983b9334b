#!/usr/bin/env python
"""API throughput: `GET /api/v2/users/me` (token auth + RBAC subject) against `/healthz`.

Starts `manage.py serve` on a free loopback port (embedded default, or PostgreSQL/Redis when
CODER_PG_CONNECTION_URL / CODER_REDIS_URL are set) with no provisioner daemons and rate limits
off, bootstraps the first user and an API token, then drives a bounded asyncio+httpx load at
each concurrency level and prints requests/s, p50, p99, the me/healthz ratio and the resident
memory of the web processes at idle and after the load.

    .venv/bin/python bench/api_throughput.py --web-workers 1 2 --concurrency 16 64 --duration 10
"""
from __future__ import annotations

import argparse
import asyncio
import os
import time

import httpx
from serve_process import PASSWORD, Server  # noqa: E402


def bootstrap(base: str) -> str:
    """First user, login, API token; returns the token."""
    with httpx.Client(base_url=base, timeout=30) as http:
        first = http.post("/api/v2/users/first", json={"username": "bench", "email": "bench@example.com",
                                                        "password": PASSWORD, "name": "Bench"})
        first.raise_for_status()
        login = http.post("/api/v2/users/login", json={"email": "bench@example.com", "password": PASSWORD})
        login.raise_for_status()
        session = login.json()["session_token"]
        token = http.post("/api/v2/users/me/keys/tokens", json={"token_name": "bench", "lifetime": 3600 * 10**9},
                          headers={"Coder-Session-Token": session})
        if token.status_code == 201:
            return token.json()["key"]
        print(f"note: token endpoint answered {token.status_code}; using the login session token")
        return session


async def load(base: str, path: str, headers: dict, concurrency: int, duration: float, max_requests: int):
    """Closed-loop load: `concurrency` clients, each sending its next request when one returns."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:
        async def client():
            nonlocal errors
            while time.monotonic() < stop_at and len(latencies) + errors < max_requests:
                started = time.perf_counter()
                try:
                    response = await http.get(path)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"rps": len(latencies) / elapsed, "p50": pct(0.50), "p99": pct(0.99), "ok": len(latencies),
            "errors": errors}


def run(web_workers: int, levels: list[int], duration: float, max_requests: int) -> list[dict]:
    server = Server(web_workers=web_workers, redis_db=12)
    rows = []
    try:
        server.wait_healthy()
        token = bootstrap(server.base)
        auth = {"Coder-Session-Token": token}
        asyncio.run(load(server.base, "/api/v2/users/me", auth, 4, 2, 500))  # warm caches and connections
        idle = server.web_rss_mib()
        for concurrency in levels:
            for label, path, headers in (("healthz", "/healthz", {}), ("users/me", "/api/v2/users/me", auth)):
                cpu_before, client_before = server.web_cpu_seconds(), time.process_time()
                result = asyncio.run(load(server.base, path, headers, concurrency, duration, max_requests))
                served = result["ok"] + result["errors"]
                result["cpu_ms"] = (server.web_cpu_seconds() - cpu_before) * 1000 / max(served, 1)
                result["client_ms"] = (time.process_time() - client_before) * 1000 / max(served, 1)
                rows.append({"workers": web_workers, "endpoint": label, "concurrency": concurrency, **result})
        after = server.web_rss_mib()
    finally:
        server.stop()
    for row in rows:
        row["rss_idle"], row["rss_after"] = idle, after
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web-workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (bounded)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="cap per measurement")
    args = parser.parse_args()
    backend = "PostgreSQL+Redis" if os.environ.get("CODER_PG_CONNECTION_URL") else "embedded (SQLite)"
    print(f"backend: {backend}; cores: {os.cpu_count()}; load generator: asyncio+httpx, one process, loopback")
    load_before = os.getloadavg()[0]
    rows = []
    if not os.environ.get("CODER_REDIS_URL") and any(w > 1 for w in args.web_workers):
        # serve refuses several web processes on the embedded default (per-process channel layer and cache).
        print("embedded default: measuring 1 web worker only (more than 1 needs CODER_REDIS_URL)")
        args.web_workers = [1]
    for workers in args.web_workers:
        rows += run(workers, args.concurrency, min(args.duration, 60.0), args.max_requests)
    print(f"load average (1 min) before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f}; "
          "req/s and latency depend on other load, CPU ms/request much less")
    print(f"{'web workers':>11} {'endpoint':>9} {'conc':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'CPU ms/req':>10} {'req/s/core':>10} {'client ms':>9} {'RSS idle MiB':>12} "
          f"{'RSS after MiB':>13}")
    for r in rows:
        print(f"{r['workers']:>11} {r['endpoint']:>9} {r['concurrency']:>5} {r['rps']:>8.0f} {r['p50']:>8.1f} "
              f"{r['p99']:>8.1f} {r['errors']:>6} {r['cpu_ms']:>10.2f} {1000 / r['cpu_ms']:>10.0f} "
              f"{r['client_ms']:>9.2f} {r['rss_idle']:>12.0f} {r['rss_after']:>13.0f}")
    print("CPU ms/req: web processes per request; client ms: the load generator's own CPU per request")
    print("ratio users/me : healthz (req/s)")
    for r in rows:
        if r["endpoint"] == "users/me":
            base = next(h for h in rows if h["endpoint"] == "healthz" and h["workers"] == r["workers"]
                        and h["concurrency"] == r["concurrency"])
            print(f"  web workers {r['workers']}, concurrency {r['concurrency']}: {r['rps'] / base['rps']:.2f}")


if __name__ == "__main__":
    main()
