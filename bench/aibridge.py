"""AI Bridge overhead: streamed Anthropic messages through the portal vs straight to the upstream.

Starts the fake upstream (a real HTTP server on loopback, in this process) and `serve` with the
gateway pointed at it, then measures, for the same paced stream (11 SSE events):

- time to first event, client side, portal vs direct (p50/p95);
- per-event latency: when the client received each event minus when the upstream wrote it
  (same clock: the upstream runs in this process), portal vs direct (p50/p95);
- N concurrent streams through the portal: errors, wall time, web RSS (peak) and web CPU.

    .venv/bin/python bench/aibridge.py --requests 50 --concurrency 100
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_throughput import bootstrap  # noqa: E402
from bench.serve_process import Server  # noqa: E402
from tests.aibridge.fake_upstream import FakeUpstream  # noqa: E402

BODY = {"model": "paced", "max_tokens": 64, "stream": True, "messages": [{"role": "user", "content": "hi"}]}


async def one_stream(http: httpx.AsyncClient, url: str, headers: dict, upstream: FakeUpstream) -> dict:
    bench_id = uuid.uuid4().hex
    arrivals = []
    start = time.perf_counter()
    async with http.stream("POST", url, json=BODY, headers={**headers, "X-Bench-Id": bench_id}) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line == "":
                arrivals.append(time.perf_counter())
    sent = upstream.sent_at.pop(bench_id, [])
    # The portal relays the upstream's events one for one; a keep-alive would add one (none at this pace).
    per_event = [a - s for a, s in zip(arrivals, sent)] if len(arrivals) == len(sent) else []
    return {"ttfb": arrivals[0] - start, "per_event": per_event, "events": len(arrivals)}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


async def sequential(url: str, headers: dict, upstream: FakeUpstream, n: int) -> dict:
    results = []
    async with httpx.AsyncClient(timeout=60) as http:
        await one_stream(http, url, headers, upstream)  # warm-up (connections, first-request costs)
        for _ in range(n):
            results.append(await one_stream(http, url, headers, upstream))
    return {"ttfb": [r["ttfb"] for r in results], "per_event": [x for r in results for x in r["per_event"]]}


async def concurrent(url: str, headers: dict, upstream: FakeUpstream, n: int, server: Server) -> dict:
    peak = server.web_rss_mib()
    cpu0 = server.web_cpu_seconds()
    errors: list[str] = []

    async def guarded(http):
        try:
            result = await one_stream(http, url, headers, upstream)
            if result["events"] != 11:
                errors.append(f"{result['events']} events")
        except Exception as exc:  # counted, not fatal: the figure is how many fail
            errors.append(repr(exc))

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=n + 10)) as http:
        tasks = [asyncio.create_task(guarded(http)) for _ in range(n)]
        while not all(t.done() for t in tasks):
            peak = max(peak, server.web_rss_mib())
            await asyncio.sleep(0.05)
    return {"wall": time.perf_counter() - started, "errors": errors, "peak_rss": peak,
            "cpu": server.web_cpu_seconds() - cpu0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50, help="sequential streams per target")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--pace-ms", type=float, default=5.0, help="upstream delay between SSE lines")
    args = parser.parse_args()

    upstream = FakeUpstream(paced_delay=args.pace_ms / 1000).start()
    os.environ.update(CODER_AIBRIDGE_ENABLED="true", CODER_AIBRIDGE_ANTHROPIC_BASE_URL=upstream.url,
                      CODER_AIBRIDGE_ANTHROPIC_KEY="sk-ant-bench", CODER_AIBRIDGE_STRUCTURED_LOGGING="false")
    server = Server()
    try:
        server.wait_healthy()
        token = bootstrap(server.base)
        idle_rss = server.web_rss_mib()
        portal_url = f"{server.base}/api/v2/aibridge/anthropic/v1/messages"
        direct = asyncio.run(sequential(f"{upstream.url}/v1/messages", {"X-Api-Key": "x"}, upstream, args.requests))
        portal = asyncio.run(sequential(portal_url, {"X-Api-Key": token}, upstream, args.requests))
        load = asyncio.run(concurrent(portal_url, {"X-Api-Key": token}, upstream, args.concurrency, server))
    finally:
        server.stop()
        upstream.stop()

    print(f"{args.requests} sequential streams of 11 events, upstream pace {args.pace_ms} ms/line")
    print(f"{'':24}{'direct p50':>12}{'p95':>9}{'portal p50':>12}{'p95':>9}{'added p50':>11}")
    for name, key in (("time to first event ms", "ttfb"), ("per-event latency ms", "per_event")):
        d50, d95, p50, p95 = (pct(direct[key], 50), pct(direct[key], 95), pct(portal[key], 50), pct(portal[key], 95))
        print(f"{name:24}{d50:12.2f}{d95:9.2f}{p50:12.2f}{p95:9.2f}{p50 - d50:11.2f}")
    print(f"ratio portal/direct p50: first event {pct(portal['ttfb'], 50) / pct(direct['ttfb'], 50):.1f}x, "
          f"per event {statistics.median(portal['per_event']) / statistics.median(direct['per_event']):.1f}x")
    per_stream = load["cpu"] / args.concurrency * 1000
    print(f"{args.concurrency} concurrent streams through the portal: {len(load['errors'])} errors, "
          f"wall {load['wall']:.2f} s, web CPU {load['cpu']:.2f} s ({per_stream:.1f} ms/stream)")
    print(f"web RSS: idle {idle_rss:.0f} MiB, peak during the concurrent streams {load['peak_rss']:.0f} MiB")
    if load["errors"]:
        print("first errors:", load["errors"][:3])


if __name__ == "__main__":
    main()
