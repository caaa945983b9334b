"""Plain HTTP requests served by Django's synchronous middleware chain in a bounded thread pool.

Django's ASGI handler runs a mostly synchronous middleware stack in async mode: every
`MiddlewareMixin` hook and the view cross between the event loop and a thread, about a dozen
hand-offs per request, each in a thread created for that request. Here the middleware chain is
loaded in sync mode and one request's synchronous work (middleware, view, serialization) runs in
one hop on a fixed pool of `CODER_WEB_THREADS` threads, the way a threaded WSGI server runs it;
the event loop keeps reading bodies and writing responses. The pool bounds how many requests
run Django code at once in a web process, and so how many database connections they hold.

Async views (coroutine functions) keep Django's own async path, so they never occupy a thread
of the pool. Streaming responses are still iterated by Django's ASGI handler.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.urls import Resolver404, get_resolver

from coderportal import config


class PooledASGIHandler(ASGIHandler):
    """Django's ASGI handler (async chain, for async views) plus a sync chain on a thread pool."""

    def __init__(self):
        super().__init__()
        self._sync = BaseHandler()
        self._sync.load_middleware(is_async=False)  # the sync chain: no hand-off between middlewares
        self._executor = ThreadPoolExecutor(max_workers=max(1, config.get_int("CODER_WEB_THREADS")),
                                            thread_name_prefix="http")

    async def get_response_async(self, request):
        if _is_async_view(request.path_info):
            return await super().get_response_async(request)
        run = functools.partial(contextvars.copy_context().run, self._get_response_in_thread, request)
        return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    def _get_response_in_thread(self, request):
        try:
            return self._sync.get_response(request)
        finally:
            # The request's connection goes back (pool) or is closed, as at the end of a WSGI
            # request; streaming bodies are iterated (and their connections closed) elsewhere.
            close_old_connections()


@functools.lru_cache(maxsize=4096)
def _is_async_view(path: str) -> bool:
    try:
        match = get_resolver(settings.ROOT_URLCONF).resolve(path)
    except Resolver404:
        return False
    return iscoroutinefunction(match.func)
