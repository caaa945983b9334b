"""OpenAI chat completions (ids rewritten, usage forced into the last chunk) and the
Responses API (relayed byte for byte; usage from `response.completed`)."""
from __future__ import annotations

from aibridge import sse, usage
from aibridge.sse import Event

from .base import Interceptor, RequestRefused


class _OpenAI(Interceptor):
    provider = "openai"

    def error_body(self, message: str, kind: str = "server_error") -> dict:
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}

    def error_event(self, message: str) -> bytes:
        return sse.encode("", sse.dumps(self.error_body(message)))


class ChatCompletionsInterceptor(_OpenAI):
    upstream_path = "chat/completions"

    def __init__(self, body, recorder):
        super().__init__(body, recorder)
        self._calls: dict[int, dict] = {}  # tool call index -> {name, arguments}
        self._usage = None

    def prepare(self) -> None:
        self.body["n"] = 1
        if self.streaming:
            options = self.body.get("stream_options")
            options = options if isinstance(options, dict) else {}
            options["include_usage"] = True  # the final chunk then carries the usage
            self.body["stream_options"] = options

    def prompt(self):
        return usage.messages_prompt(self.body)

    def on_event(self, event: Event) -> bytes | None:
        if event.data.strip() == "[DONE]":
            return sse.encode(event.event, event.data)
        try:
            chunk = event.json()
        except ValueError:
            return sse.encode(event.event, event.data)
        if not isinstance(chunk, dict) or "id" not in chunk:
            return sse.encode(event.event, event.data)  # e.g. an error object
        if not self.msg_id:
            self.msg_id = str(chunk["id"])
            self.record_prompt()
        chunk["id"] = str(self.recorder.id)
        if isinstance(chunk.get("usage"), dict) and chunk["usage"]:
            self._usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            for call in (delta or {}).get("tool_calls") or []:
                if not isinstance(call, dict):
                    continue
                acc = self._calls.setdefault(call.get("index", 0), {"name": "", "arguments": ""})
                function = call.get("function") or {}
                acc["name"] += str(function.get("name") or "")
                acc["arguments"] += str(function.get("arguments") or "")
        return sse.encode(event.event, sse.dumps(chunk))

    def on_stream_end(self) -> None:
        for call in self._calls.values():
            self.recorder.tool(self.msg_id, call["name"], usage.tool_input(call["arguments"]))
        self._calls.clear()
        if self._usage is not None:
            tokens = usage.openai_chat_tokens(self._usage)
            if tokens.output > 0:  # as Coder: a stream cut before its usage chunk records none
                self.recorder.tokens(self.msg_id, tokens)
            self._usage = None

    def on_response(self, body: dict) -> dict:
        self.msg_id = str(body.get("id", ""))
        body["id"] = str(self.recorder.id)
        self.record_prompt()
        for choice in body.get("choices") or []:
            message = choice.get("message") if isinstance(choice, dict) else None
            for call in (message or {}).get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                function = function if isinstance(function, dict) else {}
                self.recorder.tool(self.msg_id, str(function.get("name", "")),
                                   usage.tool_input(function.get("arguments", "")))
        if isinstance(body.get("usage"), dict):
            self.recorder.tokens(self.msg_id, usage.openai_chat_tokens(body["usage"]))
        return body


class ResponsesInterceptor(_OpenAI):
    upstream_path = "responses"

    def prepare(self) -> None:
        if self.body.get("background") is True:
            raise RequestRefused(501, self.error_body("background requests are currently not supported by AI Bridge",
                                                      "invalid_request_error"))

    def prompt(self):
        return usage.responses_prompt(self.body)

    def _record_item(self, item) -> None:
        if not isinstance(item, dict):
            return
        if item.get("type") == "function_call":
            self.recorder.tool(self.msg_id, str(item.get("name", "")), usage.tool_input(item.get("arguments", "")))
        elif item.get("type") == "custom_tool_call":
            self.recorder.tool(self.msg_id, str(item.get("name", "")), str(item.get("input", "")))

    def on_event(self, event: Event) -> bytes | None:
        relayed = sse.encode(event.event, event.data)  # Responses events are relayed unchanged
        try:
            data = event.json()
        except ValueError:
            return relayed
        if not isinstance(data, dict):
            return relayed
        response = data.get("response")
        if not self.msg_id and isinstance(response, dict) and response.get("id"):
            self.msg_id = str(response["id"])
            self.record_prompt()
        kind = data.get("type", event.event)
        if kind == "response.output_item.done":
            self._record_item(data.get("item"))
        elif kind == "response.completed" and isinstance(response, dict):
            self.recorder.tokens(self.msg_id, usage.openai_responses_tokens(response.get("usage")))
        return relayed

    def on_response(self, body: dict) -> dict:
        self.msg_id = str(body.get("id", ""))
        self.record_prompt()
        for item in body.get("output") or []:
            self._record_item(item)
        if isinstance(body.get("usage"), dict):
            self.recorder.tokens(self.msg_id, usage.openai_responses_tokens(body["usage"]))
        return body
