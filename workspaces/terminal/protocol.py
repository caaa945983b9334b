"""The relay protocol between the portal and an agent (one websocket per agent, many streams).

Text frames are JSON control messages: `{"op": "open", "stream", "kind": "pty"|"tcp"|"ssh",
...}`, `{"op": "resize", "stream", "width", "height"}`, `{"op": "close", "stream"}`.
Binary frames carry data: 16 bytes of stream UUID, then the payload. The agent package
keeps its own copy of these few lines (it imports nothing from the portal).
"""
from __future__ import annotations

import asyncio
import time
import uuid

from channels.exceptions import ChannelFull

# How long a stream may stay blocked on a full channel (a client or agent not reading)
# before its data is given up on.
FULL_CHANNEL_PATIENCE_SECONDS = 30


def agent_group(agent_id) -> str:
    return f"agent-relay.{agent_id}"


def pack(stream: uuid.UUID, payload: bytes) -> bytes:
    return stream.bytes + payload


def unpack(frame: bytes) -> tuple[uuid.UUID, bytes]:
    return uuid.UUID(bytes=frame[:16]), frame[16:]


async def send_patiently(layer, channel: str, message: dict) -> bool:
    """Send to a channel, waiting while it is full: back-pressure instead of lost bytes
    (a lost byte would corrupt an SSH stream). False if it stayed full too long."""
    deadline = time.monotonic() + FULL_CHANNEL_PATIENCE_SECONDS
    delay = 0.005
    while True:
        try:
            await layer.send(channel, message)
            return True
        except ChannelFull:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
