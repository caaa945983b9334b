"""Runs one bridged request: record the start, call upstream, relay (streaming or not),
record what passed, and close the records however it ends.

Streaming relays each upstream SSE event as soon as it arrives, with a keep-alive ping
after `PING_INTERVAL` of silence. The response starts with the first event: an upstream
error before it is returned as is (status and body); after it, an error becomes a final SSE
error event in the provider's shape. A client that goes away ends the upstream request, and
the records are still closed.
"""
from __future__ import annotations

import asyncio
import logging

import httpx
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse

from aibridge import sse, upstream
from aibridge.conf import ProviderConfig
from aibridge.interceptors import Interceptor

log = logging.getLogger(__name__)
PING_INTERVAL = 10.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _error_response(interceptor: Interceptor, status: int, message: str, kind: str = "api_error"):
    return JsonResponse(interceptor.error_body(message, kind), status=status)


def _relayed(response: httpx.Response, body: bytes) -> HttpResponse:
    relayed = HttpResponse(body, status=response.status_code,
                           content_type=response.headers.get("content-type", "application/json"))
    return relayed


async def blocking(interceptor: Interceptor, provider: ProviderConfig, headers: dict) -> HttpResponse:
    failed = True
    try:
        try:
            response = await upstream.client().post(upstream.url(provider, interceptor.upstream_path),
                                                    content=sse.dumps(interceptor.body).encode(), headers=headers)
        except httpx.HTTPError as exc:
            log.warning("upstream request failed", extra={"interception_id": str(interceptor.recorder.id),
                                                           "error": str(exc)})
            return _error_response(interceptor, 502, f"upstream request failed: {type(exc).__name__}")
        if response.status_code >= 400:
            return _relayed(response, response.content)
        try:
            body = response.json()
        except ValueError:
            return _relayed(response, response.content)
        if not isinstance(body, dict):
            return _relayed(response, response.content)
        failed = False
        return JsonResponse(interceptor.on_response(body), status=response.status_code)
    finally:
        await interceptor.recorder.close(failed=failed)


class Stream:
    def __init__(self, interceptor: Interceptor, provider: ProviderConfig, headers: dict):
        self.interceptor = interceptor
        self.provider = provider
        self.headers = headers
        self.response: httpx.Response | None = None
        self.failed = False
        self._events = None
        self._closed = False
        self.on_close: list = []  # called once the stream is over (e.g. to free a concurrency slot)

    async def respond(self) -> HttpResponse:
        """Open the upstream stream and wait for its first event, then stream the rest."""
        try:
            request = upstream.client().build_request(
                "POST", upstream.url(self.provider, self.interceptor.upstream_path),
                content=sse.dumps(self.interceptor.body).encode(), headers=self.headers)
            try:
                self.response = await upstream.client().send(request, stream=True)
            except httpx.HTTPError as exc:
                self.failed = True
                await self.close()
                return _error_response(self.interceptor, 502, f"upstream request failed: {type(exc).__name__}")
            if self.response.status_code >= 400:
                body = await self.response.aread()
                self.failed = True
                await self.close()
                return _relayed(self.response, body)
            self._events = self._relay_events()
            try:
                first = await anext(self._events, None)
            except (httpx.HTTPError, sse.EventTooLarge) as exc:
                self.failed = True
                await self.close()
                return _error_response(self.interceptor, 502, f"upstream stream failed: {type(exc).__name__}")
        except BaseException:  # the client went away while we waited: still close the records
            self.failed = True
            await self.close()
            raise
        if first is None:
            await self.close()
            return _error_response(self.interceptor, 502, "upstream stream ended without events")
        response = StreamingHttpResponse(self._body(first), content_type="text/event-stream", headers=SSE_HEADERS)
        response.bridge_stream = self
        return response

    async def _relay_events(self):
        async for event in sse.parse(self.response.aiter_lines()):
            out = self.interceptor.on_event(event)
            if out:
                yield out

    async def _body(self, first: bytes):
        pending: asyncio.Future | None = None
        try:
            yield first
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(self._events, None))
                done, _ = await asyncio.wait({pending}, timeout=PING_INTERVAL)
                if not done:
                    yield self.interceptor.ping()
                    continue
                chunk, pending = pending.result(), None
                if chunk is None:
                    break
                yield chunk
        except (httpx.HTTPError, sse.EventTooLarge) as exc:
            self.failed = True
            yield self.interceptor.error_event(f"upstream stream failed: {type(exc).__name__}")
        except Exception as exc:  # a bug of ours must still end the stream in the provider's shape
            self.failed = True
            log.exception("relaying the stream failed", extra={"interception_id": str(self.interceptor.recorder.id)})
            yield self.interceptor.error_event(f"stream relay failed: {type(exc).__name__}")
        except BaseException:
            self.failed = True  # client disconnect (cancelled / closed generator)
            raise
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                # The generator must have stopped running before it can be closed.
                await asyncio.gather(pending, return_exceptions=True)
            await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.interceptor.on_stream_end()
            if self._events is not None:
                await self._events.aclose()
            if self.response is not None:
                await self.response.aclose()
        finally:
            try:
                await self.interceptor.recorder.close(failed=self.failed)
            finally:
                for callback in self.on_close:
                    callback()
