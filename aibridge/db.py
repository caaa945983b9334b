"""Database work of the gateway, off the event loop on a small pool of its own threads.

Django's async ORM runs each request's queries on a thread of that request, so every
concurrent stream would hold a thread and a database connection; this pool bounds both
(PostgreSQL's connection limit is the first thing 100 concurrent streams hit otherwise).
"""
from __future__ import annotations

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connections

THREADS = 8
_pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="aibridge-db")


def _call(fn, args, kwargs):
    close_old_connections()  # a broken or expired connection is replaced, as Django does per request
    return fn(*args, **kwargs)


async def run(fn, *args, **kwargs):
    """`fn(*args, **kwargs)` on the pool; the caller's task waits without blocking the loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, functools.partial(_call, fn, args, kwargs))


def close_all(timeout: float = 10) -> None:
    """Close the pool threads' database connections (before a database is dropped, at exit).
    A barrier holds each closing task until all have started, so each lands on its own thread."""
    barrier = threading.Barrier(THREADS)

    def close():
        connections.close_all()
        barrier.wait(timeout)

    for future in [_pool.submit(close) for _ in range(THREADS)]:
        future.result(timeout)
