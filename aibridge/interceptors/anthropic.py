"""Anthropic `/v1/messages`: message ids become the interception id; two token records per
streamed message (`message_start` with cache fields, then `message_delta` output)."""
from __future__ import annotations

from aibridge import sse, usage
from aibridge.sse import Event

from .base import Interceptor


class MessagesInterceptor(Interceptor):
    provider = "anthropic"
    upstream_path = "v1/messages"

    def __init__(self, body, recorder):
        super().__init__(body, recorder)
        self._tools: dict[int, dict] = {}  # content block index -> {name, parts}

    def prompt(self):
        return usage.messages_prompt(self.body)

    def on_event(self, event: Event) -> bytes | None:
        try:
            data = event.json()
        except ValueError:
            return sse.encode(event.event, event.data)
        if not isinstance(data, dict):
            return sse.encode(event.event, event.data)
        kind = data.get("type", event.event)
        if kind == "message_start" and isinstance(data.get("message"), dict):
            message = data["message"]
            self.msg_id = str(message.get("id", ""))
            message["id"] = str(self.recorder.id)
            self.recorder.tokens(self.msg_id, usage.anthropic_tokens(message.get("usage")))
            self.record_prompt()
            return sse.encode(event.event, sse.dumps(data))
        if kind == "content_block_start":
            block = data.get("content_block")
            if isinstance(block, dict) and block.get("type") == "tool_use":
                self._tools[data.get("index")] = {"name": str(block.get("name", "")), "parts": [],
                                                   "input": block.get("input")}
        elif kind == "content_block_delta":
            delta = data.get("delta")
            tool = self._tools.get(data.get("index"))
            if tool is not None and isinstance(delta, dict) and delta.get("type") == "input_json_delta":
                tool["parts"].append(str(delta.get("partial_json", "")))
        elif kind == "content_block_stop":
            tool = self._tools.pop(data.get("index"), None)
            if tool is not None:
                self._record_tool(tool)
        elif kind == "message_delta":
            self.recorder.tokens(self.msg_id, usage.anthropic_delta_tokens(data.get("usage")))
        return sse.encode(event.event, event.data)  # unchanged, byte for byte

    def _record_tool(self, tool: dict) -> None:
        arguments = "".join(tool["parts"]) if tool["parts"] else (tool["input"] or {})
        self.recorder.tool(self.msg_id, tool["name"], usage.tool_input(arguments))

    def on_stream_end(self) -> None:
        for tool in self._tools.values():  # blocks the stream never closed
            self._record_tool(tool)
        self._tools.clear()

    def on_response(self, body: dict) -> dict:
        self.msg_id = str(body.get("id", ""))
        body["id"] = str(self.recorder.id)
        self.recorder.tokens(self.msg_id, usage.anthropic_tokens(body.get("usage")))
        self.record_prompt()
        for block in body.get("content") or []:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                self.recorder.tool(self.msg_id, str(block.get("name", "")), usage.tool_input(block.get("input") or {}))
        return body

    def error_body(self, message: str, kind: str = "api_error") -> dict:
        return {"type": "error", "error": {"type": kind, "message": message}}

    def error_event(self, message: str) -> bytes:
        return sse.encode("error", sse.dumps(self.error_body(message)))

    def ping(self) -> bytes:
        return sse.encode("ping", '{"type": "ping"}')
