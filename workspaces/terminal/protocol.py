"""The relay protocol between the portal and an agent (one websocket per agent, many streams).

Text frames are JSON control messages: `{"op": "open", "stream", "kind": "pty"|"tcp"|"ssh",
...}`, `{"op": "resize", "stream", "width", "height"}`, `{"op": "close", "stream"}`.
Binary frames carry data: 16 bytes of stream UUID, then the payload. The agent package
keeps its own copy of these few lines (it imports nothing from the portal).
"""
from __future__ import annotations

import uuid


def agent_group(agent_id) -> str:
    return f"agent-relay.{agent_id}"


def pack(stream: uuid.UUID, payload: bytes) -> bytes:
    return stream.bytes + payload


def unpack(frame: bytes) -> tuple[uuid.UUID, bytes]:
    return uuid.UUID(bytes=frame[:16]), frame[16:]
