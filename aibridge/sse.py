"""Server-sent events: a parser that keeps each event's raw data, and the encoders."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

# An event larger than this is a broken upstream, not a model answer.
MAX_EVENT_BYTES = 16 * 1024 * 1024


@dataclass
class Event:
    event: str  # "" when the stream names none (OpenAI)
    data: str

    def json(self):
        return json.loads(self.data)


class EventTooLarge(Exception):
    pass


async def parse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    name, data, size = "", [], 0
    async for line in lines:
        if line == "":
            if data:
                yield Event(name, "\n".join(data))
            name, data, size = "", [], 0
            continue
        if line.startswith(":"):
            continue  # comment (keep-alive)
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
            size += len(value)
            if size > MAX_EVENT_BYTES:
                raise EventTooLarge("upstream event too large")
    if data:
        yield Event(name, "\n".join(data))


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def encode(event: str, data: str) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n".encode()
