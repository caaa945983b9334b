"""Client endpoints over what agents reported: logs (`?after=`, `?follow` as SSE or a
websocket on the same path), listening ports, and metadata watched as Server-Sent Events.
Reading any of them needs `read` on the agent's workspace."""
from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from coderportal.api.views import PortalAPIView
from coderportal.ws_auth import scope_user
from workspaces.agentapi import services
from workspaces.models import WorkspaceAgent, WorkspaceAgentLog, WorkspaceAgentMetadata

POLL_SECONDS = 0.25
PAGE = 1000


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def log_json(row: WorkspaceAgentLog) -> dict:
    return {"id": row.id, "created_at": _time(row.created_at), "output": row.output, "level": row.level,
            "source_id": str(row.source_id) if row.source_id else "00000000-0000-0000-0000-000000000000"}


def authorized_agent(subject, agent_id, action: str = rbac.Action.READ) -> WorkspaceAgent:
    agent = WorkspaceAgent.objects.filter(pk=agent_id).select_related("resource__build__workspace").first()
    if agent is None:
        raise rbac.NotFound()
    rbac.authorize(subject, action, agent)
    return agent


def _after(raw) -> int:
    try:
        value = int(raw or 0)
        if value < 0:
            raise ValueError
        return value
    except ValueError:
        raise serializers.ValidationError({"after": ["Must be a non-negative integer log id."]}) from None


def _rows(agent_id, after: int) -> list[WorkspaceAgentLog]:
    return list(WorkspaceAgentLog.objects.filter(agent_id=agent_id, id__gt=after).order_by("id")[:PAGE])


async def follow_logs(agent_id, after: int):
    """Yield log rows as agents write them (forever: the caller stops listening)."""
    while True:
        rows = await database_sync_to_async(_rows)(agent_id, after)
        for row in rows:
            after = row.id
            yield row
        if len(rows) < PAGE:
            await asyncio.sleep(POLL_SECONDS)


async def _sse_logs(agent_id, after: int):
    async for row in follow_logs(agent_id, after):
        yield f"event: data\ndata: {json.dumps([log_json(row)])}\n\n"


def _sse_response(stream) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


class AgentLogsView(PortalAPIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Get logs by workspace agent (follow: SSE or websocket)")
    def get(self, request, agent_id):
        agent = authorized_agent(self.subject, agent_id)
        after = _after(request.query_params.get("after"))
        params = request.query_params
        if "follow" in params and params.get("follow", "").lower() in ("", "true", "1"):
            return _sse_response(_sse_logs(agent.pk, after))
        rows = WorkspaceAgentLog.objects.filter(agent=agent, id__gt=after)
        if params.get("before"):
            rows = rows.filter(id__lt=_after(params.get("before")))
        return Response([log_json(r) for r in rows.order_by("id")])


class AgentLogsConsumer(AsyncWebsocketConsumer):
    """`GET /workspaceagents/{id}/logs?follow` upgraded to a websocket: one JSON array of log
    objects per message, as Coder sends them."""

    async def connect(self):
        user = scope_user(self.scope)
        if user is None:
            await self.close(code=4401)
            return
        agent_id = self.scope["url_route"]["kwargs"]["agent_id"]
        if not await database_sync_to_async(_readable)(self.scope, agent_id):
            await self.close(code=4404)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            after = _after(query.get("after", ["0"])[0])
        except serializers.ValidationError:
            after = 0
        await self.accept()
        self.pump = asyncio.create_task(self._pump(agent_id, after))

    async def _pump(self, agent_id, after):
        async for row in follow_logs(agent_id, after):
            await self.send(text_data=json.dumps([log_json(row)]))

    async def disconnect(self, code):
        pump = getattr(self, "pump", None)
        if pump is not None:
            pump.cancel()


def _readable(scope: dict, agent_id) -> bool:
    try:
        authorized_agent(rbac.request_subject(scope), agent_id)
        return True
    except (rbac.NotFound, rbac.Forbidden):
        return False


class ListeningPortsView(PortalAPIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Get listening ports for workspace agent")
    def get(self, request, agent_id):
        agent = authorized_agent(self.subject, agent_id)
        return Response({"err": "", "ports": services.listening_ports(agent)})


def metadata_json(row: WorkspaceAgentMetadata, now) -> dict:
    age = int((now - row.collected_at).total_seconds()) if row.collected_at else 0
    return {"description": {"display_name": row.display_name, "key": row.key, "script": row.script,
                            "interval": row.interval, "timeout": row.timeout},
            "result": {"collected_at": _time(row.collected_at) or "0001-01-01T00:00:00Z", "age": age,
                       "value": row.value, "error": row.error}}


def _metadata(agent_id) -> list[dict]:
    now = timezone.now()
    return [metadata_json(row, now) for row in WorkspaceAgentMetadata.objects.filter(agent_id=agent_id)]


async def _watch_metadata(agent_id):
    last = None
    while True:
        current = await database_sync_to_async(_metadata)(agent_id)
        # `age` moves every second: compare on what the agent reported.
        fingerprint = [(m["description"]["key"], m["result"]["collected_at"], m["result"]["value"],
                        m["result"]["error"]) for m in current]
        if fingerprint != last:
            last = fingerprint
            yield f"event: data\ndata: {json.dumps(current)}\n\n"
        await asyncio.sleep(POLL_SECONDS * 4)


class WatchMetadataView(PortalAPIView):
    @extend_schema(responses={(200, "text/event-stream"): OpenApiTypes.STR},
                   summary="Watch for workspace agent metadata updates (SSE)")
    def get(self, request, agent_id):
        agent = authorized_agent(self.subject, agent_id)
        return _sse_response(_watch_metadata(agent.pk))
