"""The gateway entry point: `/api/v2/aibridge/{openai/v1,anthropic}/...`.

An async view under ASGI: streams are relayed on the event loop, never a thread each.
Order as in Coder: overload limits, authentication, then the route: bridged endpoints are
recorded, a few read-only ones are passed through, anything else is 404.
"""
from __future__ import annotations

import json
import logging

import httpx
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from aibridge import conf, limits, metrics, upstream
from aibridge.auth import AuthError, Caller, authenticate
from aibridge.interceptors import BRIDGED, RequestRefused
from aibridge.recorder import Recorder
from aibridge.relay import Stream, blocking

log = logging.getLogger(__name__)

# provider -> the path prefix clients use (OpenAI base URLs include /v1, Anthropic's do not)
PREFIXES = {"openai": "openai/v1/", "anthropic": "anthropic/"}
PASSTHROUGH = {"openai": ("models",), "anthropic": ("v1/models", "v1/messages/count_tokens")}
MAX_PASSTHROUGH_BYTES = 16 * 1024 * 1024


def _text(status: int, text: str) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def _route(rest: str) -> tuple[str, str] | None:
    for provider, prefix in PREFIXES.items():
        if rest.startswith(prefix):
            return provider, rest[len(prefix):].rstrip("/")
    return None


def _is_passthrough(provider: str, route: str) -> bool:
    return any(route == p or (p.endswith("models") and route.startswith(p + "/")) for p in PASSTHROUGH[provider])


@csrf_exempt
async def gateway(request, rest: str):
    if not conf.enabled():
        return JsonResponse({"message": "aibridged handler not mounted"}, status=404)
    if not limits.try_acquire():
        return JsonResponse({"message": "AI Bridge is at its concurrency limit.",
                             "detail": "Try again later."}, status=503)
    response = None
    try:
        response = await _serve(request, rest)
        return response
    finally:
        # A stream holds its slot until it ends, not just until its first event.
        stream = getattr(response, "bridge_stream", None)
        if stream is None:
            limits.release()
        else:
            stream.on_close.append(limits.release)


async def _serve(request, rest: str):
    try:
        caller = await authenticate(request.headers)
    except AuthError as exc:
        return _text(exc.status, exc.text)
    if not limits.allow(caller.api_key_id):
        response = JsonResponse({"message": "You've been rate limited.",
                                 "detail": "Too many AI Bridge requests for this token; try again in a minute."},
                                status=429)
        response["Retry-After"] = "60"
        return response
    found = _route(rest)
    if found is not None:
        provider_name, route = found
        if request.method == "POST" and (provider_name, route) in BRIDGED:
            return await _bridge(request, caller, provider_name, route)
        if _is_passthrough(provider_name, route):
            return await _passthrough(request, provider_name, route)
    return _text(404, f"route not supported: {request.method} /{rest}")


async def _bridge(request, caller: Caller, provider_name: str, route: str):
    interceptor_class = BRIDGED[(provider_name, route)]
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # Coder answers 500 here; bad input is a 400 (in the provider's error shape) for us.
        refused = interceptor_class({}, None)
        return JsonResponse(refused.error_body("request body must be a JSON object", "invalid_request_error"),
                            status=400)
    recorder = Recorder(initiator_id=caller.user_id, api_key_id=caller.api_key_id, provider=provider_name,
                        model=str(body.get("model") or ""))
    interceptor = interceptor_class(body, recorder)
    try:
        interceptor.prepare()
    except RequestRefused as exc:
        return JsonResponse(exc.body, status=exc.status)
    try:
        await recorder.start()
    except Exception:
        log.exception("failed to record interception", extra={"interception_id": str(recorder.id)})
        return _text(500, "failed to record interception")
    provider = conf.provider(provider_name)
    headers = upstream.headers_for(provider, request.headers)
    headers["Content-Type"] = "application/json"
    if interceptor.streaming:
        return await Stream(interceptor, provider, headers).respond()
    return await blocking(interceptor, provider, headers)


async def _passthrough(request, provider_name: str, route: str):
    """Not recorded: forwarded with the provider key, answered as the provider answered."""
    provider = conf.provider(provider_name)
    headers = upstream.headers_for(provider, request.headers)
    forwarded = request.headers.get("X-Forwarded-For", "")
    remote = request.META.get("REMOTE_ADDR", "")
    headers["X-Forwarded-For"] = f"{forwarded}, {remote}" if forwarded else remote
    headers.setdefault("User-Agent", "aibridge")
    metrics.inc(metrics.PASSTHROUGH, provider=provider_name, route=route, method=request.method)
    try:
        url = upstream.url(provider, route, request.META.get("QUERY_STRING", ""))
        async with upstream.client().stream(request.method, url, content=request.body or None,
                                            headers=headers) as response:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_PASSTHROUGH_BYTES:
                    return _text(502, "upstream proxy error")
                chunks.append(chunk)
    except httpx.InvalidURL:
        return _text(502, "invalid provider base URL")
    except httpx.HTTPError:
        return _text(502, "upstream proxy error")
    relayed = HttpResponse(b"".join(chunks), status=response.status_code)
    for name, value in response.headers.items():
        if name.lower() not in upstream.RESPONSE_DROPPED:
            relayed[name] = value
    return relayed
