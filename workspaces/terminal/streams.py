"""Client-side websockets that open a stream to an agent through the relay:

- `/api/v2/workspaceagents/{id}/pty?reconnect=<uuid>&width=&height=&command=` — the web
  terminal, Coder's reconnecting-PTY framing: the client sends JSON text frames
  `{"data": "...", "height": h, "width": w}`, the server sends terminal output as binary
  frames. Reconnecting with the same `reconnect` id re-attaches to the same session and
  replays its scrollback.
- `/api/v2/workspaceagents/{id}/tcp?port=` — raw bytes both ways to a port in the workspace.
- `/api/v2/workspaceagents/{id}/ssh` — raw bytes of an SSH session with the agent's server.

All need the `ssh` action on the agent's workspace (as Coder's terminal does), and record
activity on the workspace (`last_used_at`, deadline bump: services/activity.py).
"""
from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts import rbac
from coderportal.ws_auth import scope_user
from workspaces.models import WorkspaceAgent
from workspaces.services import activity
from workspaces.terminal.protocol import agent_group, send_patiently

OPEN_TIMEOUT_SECONDS = 15
# Activity sources shown on the workspace (Coder's session kinds).
_SOURCES = {"pty": "reconnecting-pty", "tcp": "port-forward", "ssh": "ssh"}


def _authorize(scope: dict, agent_id, kind: str) -> tuple[int | None, object]:
    """(None, workspace id) when allowed; else (the websocket close code: 4404 unreadable,
    4403 forbidden, None)."""
    agent = WorkspaceAgent.objects.filter(pk=agent_id).select_related("resource__build__workspace").first()
    if agent is None:
        return 4404, None
    subject = rbac.request_subject(scope)
    try:
        rbac.authorize(subject, rbac.Action.SSH, agent)
    except rbac.NotFound:
        return 4404, None
    except rbac.Forbidden:
        return 4403, None
    activity.record_activity(agent.resource.build.workspace_id, source=_SOURCES.get(kind, kind))
    return None, agent.resource.build.workspace_id


class StreamConsumer(AsyncWebsocketConsumer):
    kind = ""

    def open_message(self, query: dict) -> dict | None:
        """Extra fields of the open message; None when the query is invalid."""
        return {}

    async def connect(self):
        # Accept before refusing so that clients see why (a close code) rather than a bare 403.
        await self.accept()
        user = scope_user(self.scope)
        if user is None:
            await self.close(code=4401)
            return
        self.agent_id = self.scope["url_route"]["kwargs"]["agent_id"]
        refused, self.workspace_id = await database_sync_to_async(_authorize)(self.scope, self.agent_id, self.kind)
        self.last_activity = time.monotonic()
        if refused:
            await self.close(code=refused)
            return
        query = {k: v[0] for k, v in parse_qs(self.scope.get("query_string", b"").decode()).items()}
        extra = self.open_message(query)
        if extra is None:
            await self.close(code=4400)
            return
        self.stream = str(uuid.uuid4())
        self.opened = asyncio.Event()
        await self.channel_layer.group_send(agent_group(self.agent_id), {
            "type": "relay.open", "stream": self.stream, "reply": self.channel_name,
            "open": {"op": "open", "stream": self.stream, "kind": self.kind, **extra}})
        self.watchdog = asyncio.create_task(self._open_or_give_up())

    async def _open_or_give_up(self):
        # Nobody answers when the agent is not connected: tell the client instead of hanging.
        try:
            await asyncio.wait_for(self.opened.wait(), OPEN_TIMEOUT_SECONDS)
        except TimeoutError:
            self.stream = None
            try:
                await self.close(code=4504)
            except Exception:  # noqa: BLE001 - the client may be gone already; nothing to tell
                pass

    async def disconnect(self, code):
        watchdog = getattr(self, "watchdog", None)
        if watchdog is not None:
            watchdog.cancel()
        if getattr(self, "stream", None):
            await self._control({"op": "close"})

    async def _to_agent(self, message: dict):
        # Once the agent's relay answered, talk to its channel directly (with back-pressure);
        # before that only the group reaches it.
        relay = getattr(self, "relay_channel", None)
        if relay is None:
            await self.channel_layer.group_send(agent_group(self.agent_id), message)
        elif not await send_patiently(self.channel_layer, relay, message):
            await self.close(code=1011)

    async def _control(self, message: dict):
        await self._to_agent({"type": "relay.control", "message": {**message, "stream": self.stream}})

    async def send_input(self, data: bytes):
        # A long session keeps its workspace in use: activity again every throttle period.
        now = time.monotonic()
        if now - getattr(self, "last_activity", now) > activity.THROTTLE_SECONDS:
            self.last_activity = now
            await activity.arecord_activity(self.workspace_id, _SOURCES.get(self.kind, self.kind))
        await self._to_agent({"type": "relay.input", "stream": self.stream,
                              "data": base64.b64encode(data).decode()})

    async def receive(self, text_data=None, bytes_data=None):
        await self.send_input(bytes_data if bytes_data is not None else (text_data or "").encode())

    # From the agent's relay consumer.
    async def relay_opened(self, event):
        self.relay_channel = event.get("relay")
        self.opened.set()

    async def relay_data(self, event):
        await self.send(bytes_data=base64.b64decode(event["data"]))

    async def relay_closed(self, event):
        self.stream = None
        error = str(event.get("error") or "")
        # The agent's reason travels in the close frame (at most 123 bytes), so a CLI can say why.
        await self.close(code=1011 if error else 1000, reason=error.encode()[:120].decode(errors="ignore") or None)


def _int(value, default: int) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return default


class PtyConsumer(StreamConsumer):
    kind = "pty"

    def open_message(self, query):
        try:
            reconnect = str(uuid.UUID(query.get("reconnect", "") or str(uuid.uuid4())))
        except ValueError:
            return None
        return {"reconnect": reconnect, "width": _int(query.get("width"), 80),
                "height": _int(query.get("height"), 24), "command": query.get("command", "")}

    async def receive(self, text_data=None, bytes_data=None):
        raw = text_data if text_data is not None else (bytes_data or b"").decode(errors="replace")
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("height") and message.get("width"):
            await self._control({"op": "resize", "width": _int(message["width"], 80),
                                 "height": _int(message["height"], 24)})
        if message.get("data"):
            await self.send_input(str(message["data"]).encode())


class TcpConsumer(StreamConsumer):
    kind = "tcp"

    def open_message(self, query):
        port = _int(query.get("port"), 0)
        return {"port": port} if 0 < port < 65536 else None


class SshConsumer(StreamConsumer):
    kind = "ssh"
