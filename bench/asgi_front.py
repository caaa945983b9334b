#!/usr/bin/env python
"""Cost of the ASGI layers in front of every request: the trusted-proxy client address
(`coderportal.proxy_headers`), routing by `Host` for subdomain apps
(`workspaces.appproxy.hosts`) and the websocket `Origin` check (`coderportal.ws_auth`),
against the bare inner application, plus the log-redaction filter per log record.

Prints CPU microseconds per call and the ratio to the baseline measured in the same run.

    .venv/bin/python bench/asgi_front.py --calls 50000
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coderportal.settings")

import django  # noqa: E402

django.setup()

from coderportal.logredact import RedactSecrets  # noqa: E402
from coderportal.proxy_headers import TrustedProxyMiddleware  # noqa: E402
from coderportal.ws_auth import OriginCheckMiddleware  # noqa: E402
from workspaces.appproxy.hosts import SubdomainAppRouter  # noqa: E402

HEADERS = [(b"host", b"coder.example.com"), (b"user-agent", b"bench"), (b"accept", b"*/*"),
           (b"x-forwarded-for", b"10.1.2.3, 10.0.0.1"), (b"cookie", b"a=b; c=d"),
           (b"origin", b"https://coder.example.com")]


async def inner(scope, receive, send):
    return None


async def _drive(app, scope, calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        await app(dict(scope), None, None)
    return (time.process_time() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50000)
    calls = parser.parse_args().calls
    os.environ.update(CODER_WILDCARD_ACCESS_URL="*.apps.example.com", CODER_PROXY_TRUSTED_ORIGINS="10.0.0.0/8",
                      CODER_PROXY_TRUSTED_HEADERS="X-Forwarded-For")
    from django.conf import settings

    settings.ACCESS_URL = "https://coder.example.com"
    http = {"type": "http", "client": ("10.0.0.1", 5555), "headers": HEADERS, "path": "/api/v2/users/me"}
    ws = dict(http, type="websocket")
    app_host = dict(http, headers=[(b"host", b"code--main--ws--alice.apps.example.com"), *HEADERS[1:]])
    front = TrustedProxyMiddleware(SubdomainAppRouter(inner, inner))
    rows = [
        ("bare app (baseline)", asyncio.run(_drive(inner, http, calls))),
        ("http: proxy + host router", asyncio.run(_drive(front, http, calls))),
        ("http on an app host", asyncio.run(_drive(front, app_host, calls))),
        ("websocket: + Origin check", asyncio.run(_drive(
            TrustedProxyMiddleware(SubdomainAppRouter(OriginCheckMiddleware(inner), inner)), ws, calls))),
    ]
    base = rows[0][1]
    print(f"{'layer':32} {'CPU µs/call':>12} {'added µs':>10}")
    for name, micros in rows:
        print(f"{name:32} {micros:12.2f} {micros - base:10.2f}")
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("10.0.0.1:5555", "GET", "/api/v2/users/me?coder_session_token=abc-def&x=1",
                                "1.1", 200), None)
    redact = RedactSecrets()
    start = time.process_time()
    for _ in range(calls):
        redact.filter(logging.makeLogRecord(record.__dict__))
    print(f"{'log redaction per record':32} {(time.process_time() - start) / calls * 1e6:12.2f}")
    print("For scale: an authenticated API request costs ~15,000 µs CPU (README, Benchmarks).")


if __name__ == "__main__":
    main()
