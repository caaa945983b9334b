"""Reads the `coderd.aibridgedserver` lines of a human-format log back into fields."""
from __future__ import annotations

import json
import re

FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
FIELDS = {
    "interception_start": ["interception_id", "initiator_id", "api_key_id", "provider", "model", "started_at",
                           "metadata"],
    "token_usage": ["interception_id", "msg_id", "input_tokens", "output_tokens", "created_at", "metadata"],
    "prompt_usage": ["interception_id", "msg_id", "prompt", "created_at", "metadata"],
    "tool_usage": ["interception_id", "msg_id", "tool", "input", "server_url", "injected", "invocation_error",
                   "created_at", "metadata"],
    "interception_end": ["interception_id", "ended_at"],
}
MESSAGES = {"interception_start": "interception started", "token_usage": "token usage recorded",
            "prompt_usage": "prompt usage recorded", "tool_usage": "tool usage recorded",
            "interception_end": "interception ended"}


def records(output: str) -> list[tuple[str, dict]]:
    """[(message, {field: raw value})] in log order, fields in line order."""
    out = []
    for line in output.splitlines():
        if " coderd.aibridgedserver: " not in line:
            continue
        rest = line.split(" coderd.aibridgedserver: ", 1)[1]
        message, _, fields = rest.partition("  ")
        out.append((message, {k: v for k, v in FIELD.findall(fields)}))
    return out


def value(raw: str):
    return json.loads(raw) if raw[:1] in '"{[' else raw
