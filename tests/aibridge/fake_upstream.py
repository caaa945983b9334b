"""A fake OpenAI + Anthropic upstream: a real HTTP server (uvicorn, plain ASGI) on loopback.

It replays our own fixtures (`fixtures.py`): blocking bodies, SSE streams written line by
line with a flush after each, tool calls, an error status before the stream, and a stream
that breaks mid-way. The request's `model` picks the scenario; every request is recorded.
"""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import uvicorn

from tests.aibridge import fixtures


class FakeUpstream:
    def __init__(self, paced_delay: float = 0.005):
        self.requests: list[dict] = []
        self.paced_delay = paced_delay  # seconds between lines for model "paced" (benchmarks)
        self.sent_at: dict[str, list[float]] = {}  # X-Bench-Id -> when each event was written
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, lifespan="off",
                                                    interface="asgi3", log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> FakeUpstream:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "fake upstream did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def bridged(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST" and "count_tokens" not in r["path"]]

    async def app(self, scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        payload = json.loads(body) if body else None
        self.requests.append({"method": scope["method"], "path": scope["path"],
                              "query": scope["query_string"].decode(), "headers": headers, "json": payload})
        path = scope["path"]
        if scope["method"] == "GET" and path == "/v1/models":
            return await _json(send, 200, fixtures.models(path))
        if path == "/v1/messages/count_tokens":
            return await _json(send, 200, {"input_tokens": 42})
        kind = {"/v1/chat/completions": "chat", "/v1/responses": "responses", "/v1/messages": "messages"}.get(path)
        if kind is None:
            return await _json(send, 404, {"error": {"message": f"no route {path}"}})
        model = payload.get("model", "")
        if model == "error-400":
            return await _json(send, 400, fixtures.error_body(kind))
        if payload.get("stream"):
            delay = {"slow": 0.05, "paced": self.paced_delay}.get(model, 0)
            marks = self.sent_at.setdefault(headers["x-bench-id"], []) if "x-bench-id" in headers else None
            return await _stream(send, fixtures.stream(kind, payload), broken=model == "break-mid-stream",
                                 delay=delay, marks=marks)
        return await _json(send, 200, fixtures.blocking(kind, payload))


async def _json(send, status: int, body) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


async def _stream(send, text: str, *, broken: bool, delay: float, marks: list | None) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]})
    lines = text.splitlines(keepends=True)
    if broken:
        lines = lines[: len(lines) // 2]
    for line in lines:  # one write (and flush) per line: events arrive piece by piece
        await send({"type": "http.response.body", "body": line.encode(), "more_body": True})
        if marks is not None and line == "\n":
            marks.append(time.perf_counter())  # an event is complete
        await asyncio.sleep(delay)
    if broken:
        raise ConnectionError("upstream broke the stream on purpose")  # uvicorn drops the connection
    await send({"type": "http.response.body", "body": b""})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
