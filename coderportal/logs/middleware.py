"""Binds each HTTP request's log context: request id (the client's X-Request-Id when plain,
else new; echoed in the response), trace and span ids (from a W3C `traceparent`, else new) and
the request itself, whose user is read once authentication has run."""
from __future__ import annotations

import logging
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from coderportal.logs import context
from coderportal.metrics.middleware import route_label

log = logging.getLogger("coderportal.http")


class RequestContextMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def _bind(self, request) -> list:
        request_id = context.valid_request_id(request.META.get("HTTP_X_REQUEST_ID", ""))
        request.META["HTTP_X_REQUEST_ID"] = request_id  # the audit log records the same id
        trace, span = context.new_trace(request.META.get("HTTP_TRACEPARENT", ""))
        return context.bind(request=request, request_id_value=request_id, trace=trace, span=span)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        tokens, started = self._bind(request), time.perf_counter()
        try:
            response = self.get_response(request)
            self._done(request, response, started)
            return response
        finally:
            context.unbind(tokens)

    async def _acall(self, request):
        tokens, started = self._bind(request), time.perf_counter()
        try:
            response = await self.get_response(request)
            self._done(request, response, started)
            return response
        finally:
            context.unbind(tokens)

    @staticmethod
    def _done(request, response, started: float) -> None:
        response.headers.setdefault("X-Request-Id", request.META["HTTP_X_REQUEST_ID"])
        if log.isEnabledFor(logging.DEBUG):  # one line per request, like Coder's, with --verbose
            match = getattr(request, "resolver_match", None)
            log.debug("request", extra={"method": request.method, "path": route_label(match.route if match else None),
                                        "status_code": response.status_code,
                                        "latency_ms": round((time.perf_counter() - started) * 1000, 3)})
