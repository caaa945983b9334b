"""The shape every bridged endpoint fills in.

An interceptor sees the parsed request body once (`prepare`), then either every upstream
SSE event (`on_event`, returning the bytes to relay or None) or the blocking response body
(`on_response`). It edits parsed dicts only, so fields it does not know pass unchanged.
"""
from __future__ import annotations

from aibridge.recorder import Recorder
from aibridge.sse import Event


class RequestRefused(Exception):
    """The bridge will not send this request upstream (status and provider-shaped body)."""

    def __init__(self, status: int, body: dict):
        super().__init__(status)
        self.status = status
        self.body = body


class Interceptor:
    provider = ""
    upstream_path = ""

    def __init__(self, body: dict, recorder: Recorder):
        self.body = body
        self.recorder = recorder
        self.msg_id = ""  # the upstream message/response id, once seen
        self._prompt_recorded = False

    @property
    def streaming(self) -> bool:
        return self.body.get("stream") is True

    def prepare(self) -> None:
        """Rewrite the request body before it goes upstream."""

    def prompt(self) -> str | None:
        return None

    def record_prompt(self) -> None:
        """Once per interception, after the first upstream response, with its message id."""
        if self._prompt_recorded:
            return
        self._prompt_recorded = True
        prompt = self.prompt()
        if prompt is not None:
            self.recorder.prompt(self.msg_id, prompt)

    def on_event(self, event: Event) -> bytes | None:
        raise NotImplementedError

    def on_stream_end(self) -> None:
        """The upstream stream ended (normally or not): record what was accumulated."""

    def on_response(self, body: dict) -> dict:
        raise NotImplementedError

    def error_body(self, message: str, kind: str = "api_error") -> dict:
        raise NotImplementedError

    def error_event(self, message: str) -> bytes:
        raise NotImplementedError

    def ping(self) -> bytes:
        return b": ping\n\n"  # an SSE comment: every client ignores it
