"""Request and websocket instrumentation (Coder's `coderd_api_*` metrics).

The `path` label is the route pattern that matched (`/api/v2/workspaces/{workspace}`), never
the concrete path, so ids do not create series; a request no route matched counts as
`unmatched`.
"""
from __future__ import annotations

import re
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from coderportal.metrics import definitions as metrics

_CONVERTER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
UNMATCHED = "unmatched"


def route_label(route: str | None) -> str:
    """`api/v2/users/<str:user>/keys` -> `/api/v2/users/{user}/keys`; regex routes lose anchors."""
    if route is None:
        return UNMATCHED
    return "/" + _CONVERTER.sub(r"{\1}", route.lstrip("^").rstrip("$")).lstrip("/")


class PrometheusMiddleware:
    """Counts, times and tracks in-flight HTTP requests; works in sync and async stacks."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        metrics.API_CONCURRENT.inc()
        started = time.perf_counter()
        response = None
        try:
            response = self.get_response(request)
            return response
        finally:
            self._record(request, response, started)

    async def _acall(self, request):
        metrics.API_CONCURRENT.inc()
        started = time.perf_counter()
        response = None
        try:
            response = await self.get_response(request)
            return response
        finally:
            self._record(request, response, started)

    @staticmethod
    def _record(request, response, started: float) -> None:
        metrics.API_CONCURRENT.dec()
        match = getattr(request, "resolver_match", None)
        path = route_label(match.route if match is not None else None)
        code = str(response.status_code) if response is not None else "500"
        metrics.API_REQUESTS.labels(code, request.method, path).inc()
        metrics.API_LATENCY.labels(request.method, path).observe(time.perf_counter() - started)


class WebsocketMetrics:
    """ASGI wrapper around the websocket router: concurrent websockets and their durations."""

    def __init__(self, app, patterns):
        self.app = app
        self.patterns = patterns

    def _label(self, path: str) -> str:
        path = path.lstrip("/")
        for pattern in self.patterns:
            if pattern.pattern.match(path):
                return route_label(str(pattern.pattern))
        return UNMATCHED

    async def __call__(self, scope, receive, send):
        label = self._label(scope.get("path", ""))
        metrics.WEBSOCKET_CONCURRENT.inc()
        started = time.perf_counter()
        try:
            return await self.app(scope, receive, send)
        finally:
            metrics.WEBSOCKET_CONCURRENT.dec()
            metrics.WEBSOCKET_DURATION.labels(label).observe(time.perf_counter() - started)
