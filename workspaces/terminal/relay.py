"""The agent's side of the relay: `/api/v2/workspaceagents/me/relay`, a websocket the agent
keeps open (authenticated by its token). Client streams reach it through the channel
layer group of the agent (works with the in-memory layer in one process and with Redis
across web replicas); data the agent sends goes to the client consumer's channel.

The connection also drives the agent's connection status: open → connected, closed →
disconnected at once (a killed agent shows as disconnected without waiting for silence).

An update build makes a new agent row for the same token while the agent process (and
this connection) lives on: at every ping the connection looks up the newest row for its
token and, when a newer build made one, moves to that row's group, so terminals and apps
opened on the new row reach the same agent without it reconnecting.
"""
from __future__ import annotations

import base64
import json
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from workspaces.agentapi import services
from workspaces.agentapi.auth import agent_for_token, agent_for_token_hash, token_from_headers
from workspaces.terminal.protocol import agent_group, send_patiently, unpack


class AgentRelayConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        headers = {k.decode().lower(): v.decode() for k, v in self.scope.get("headers", [])}
        self.agent = await database_sync_to_async(agent_for_token)(token_from_headers(headers))
        if self.agent is None:
            await self.close(code=4401)
            return
        self.group = agent_group(self.agent.pk)
        self.streams: dict[uuid.UUID, str] = {}  # stream -> client consumer channel
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await database_sync_to_async(services.heartbeat)(self.agent)

    async def disconnect(self, code):
        agent = getattr(self, "agent", None)
        if agent is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        for stream, channel in self.streams.items():
            await self.channel_layer.send(channel, {"type": "relay.closed", "stream": str(stream)})
        await database_sync_to_async(services.disconnect)(agent)

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None:
            stream, payload = unpack(bytes_data)
            channel = self.streams.get(stream)
            if channel and not await send_patiently(self.channel_layer, channel, {
                    "type": "relay.data", "stream": str(stream), "data": base64.b64encode(payload).decode()}):
                self.streams.pop(stream, None)  # the client stopped reading: end its stream
                await self.send(text_data=json.dumps({"op": "close", "stream": str(stream)}))
            return
        message = json.loads(text_data or "{}")
        if message.get("op") == "close":
            stream = uuid.UUID(message["stream"])
            channel = self.streams.pop(stream, None)
            if channel:
                await self.channel_layer.send(channel, {"type": "relay.closed", "stream": str(stream),
                                                        "error": message.get("error", "")})
        elif message.get("op") == "opened":
            channel = self.streams.get(uuid.UUID(message["stream"]))
            if channel:
                await self.channel_layer.send(channel, {"type": "relay.opened", "stream": message["stream"],
                                                        "relay": self.channel_name})
        elif message.get("op") == "ping":
            await self._follow_newest_build()
            await database_sync_to_async(services.heartbeat)(self.agent)

    async def _follow_newest_build(self):
        newest = await database_sync_to_async(agent_for_token_hash)(self.agent.auth_token_hash)
        if newest is None or newest.pk == self.agent.pk:
            return
        # Streams already open keep going (they talk to this channel directly).
        await self.channel_layer.group_discard(self.group, self.channel_name)
        self.agent, self.group = newest, agent_group(newest.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)

    # Messages from client consumers (through the agent's group).
    async def relay_open(self, event):
        self.streams[uuid.UUID(event["stream"])] = event["reply"]
        await self.send(text_data=json.dumps(event["open"]))

    async def relay_control(self, event):
        if uuid.UUID(event["message"]["stream"]) in self.streams:
            await self.send(text_data=json.dumps(event["message"]))
            if event["message"].get("op") == "close":
                self.streams.pop(uuid.UUID(event["message"]["stream"]), None)

    async def relay_input(self, event):
        stream = uuid.UUID(event["stream"])
        if stream in self.streams:
            await self.send(bytes_data=stream.bytes + base64.b64decode(event["data"]))
