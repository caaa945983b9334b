"""What operations instrumentation costs per request and per log line (CPU time, one process).

    .venv/bin/python bench/ops_overhead.py --requests 3000

For `GET /api/v2/buildinfo` through Django's full handler (no network), it measures CPU ms per
request with the operations middlewares (log context + Prometheus) removed, present with
in-memory metrics, and present in multiprocess mode (what `serve --prometheus-enable` uses:
values in memory-mapped files), and prints the ratios to the baseline. It also measures one log
record rendered by the human formatter vs the JSON formatter. Each variant runs in a fresh
interpreter (multiprocess mode is chosen when prometheus_client is imported), alternating
rounds to spread machine noise.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPS = ("coderportal.logs.middleware.RequestContextMiddleware", "coderportal.metrics.middleware.PrometheusMiddleware")


def child(variant: str, requests: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")
    import django
    from django.conf import settings

    django.setup()
    from django.test import Client
    from django.test.utils import override_settings

    middleware = [m for m in settings.MIDDLEWARE if variant != "without" or m not in OPS]
    out = {}
    with override_settings(MIDDLEWARE=middleware, ALLOWED_HOSTS=["*"]):
        client = Client()
        for _ in range(200):  # warm-up: imports, caches
            client.get("/api/v2/buildinfo")
        started = time.process_time()
        for _ in range(requests):
            assert client.get("/api/v2/buildinfo").status_code == 200
        out["request_cpu_ms"] = (time.process_time() - started) * 1000 / requests
    if variant == "without":
        import logging

        from coderportal.logs.formatters import HumanFormatter, JsonFormatter

        record = logging.LogRecord("coderportal.bench", logging.INFO, __file__, 1, "job %s ended", ("x",), None)
        record.job_id, record.status, record.request_id = "0" * 36, "succeeded", "r" * 36
        for name, formatter in (("human", HumanFormatter()), ("json", JsonFormatter())):
            started = time.process_time()
            for _ in range(20000):
                formatter.format(record)
            out[f"{name}_line_us"] = (time.process_time() - started) * 1e6 / 20000
    return out


def run(variant: str, requests: int) -> dict:
    env = {**os.environ, "CODER_DATA_DIR": tempfile.mkdtemp(), "CODER_API_RATE_LIMIT": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if variant == "multiprocess":
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp()
    result = subprocess.run([sys.executable, __file__, "--child", variant, "--requests", str(requests)], cwd=ROOT,
                            env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.requests)))
        return
    variants = ("without", "in-memory", "multiprocess")
    results: dict[str, list[dict]] = {v: [] for v in variants}
    for _ in range(args.rounds):
        for variant in variants:
            results[variant].append(run(variant, args.requests))
    best = {v: min(r["request_cpu_ms"] for r in results[v]) for v in variants}  # least-disturbed round
    print(f"GET /api/v2/buildinfo through Django, {args.requests} requests x {args.rounds} rounds (best round):")
    for variant in variants:
        print(f"  {variant:13s} {best[variant]:.3f} CPU ms/request  ratio {best[variant] / best['without']:.3f}")
    human = min(r["human_line_us"] for r in results["without"])
    js = min(r["json_line_us"] for r in results["without"])
    print(f"log line: human {human:.1f} us, json {js:.1f} us (ratio {js / human:.2f})")


if __name__ == "__main__":
    main()
