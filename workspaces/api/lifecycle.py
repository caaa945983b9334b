"""Lifecycle endpoints: users' quiet hours, workspace dormancy, resolve-autostart, and
watching a workspace (SSE `/watch`, websocket `/watch-ws`)."""
from __future__ import annotations

import asyncio
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import StreamingHttpResponse
from rest_framework.response import Response

from accounts import rbac
from coderportal.api.fields import RequestSerializer, StrictBooleanField, StrictCharField
from coderportal.api.views import PortalAPIView
from coderportal.ws_auth import scope_user
from workspaces.api.common import get_owner, get_workspace
from workspaces.api.serializers.workspaces import workspace_json
from workspaces.lifecycle import quiet_hours, services, watch


class QuietHoursSerializer(RequestSerializer):
    schedule = StrictCharField(allow_blank=True, required=False, default="", max_length=256)


class QuietHoursView(PortalAPIView):
    def get(self, request, user):
        target = get_owner(request, self.subject, user)
        return Response(quiet_hours.get(target, actor=self.actor))

    def put(self, request, user):
        target = get_owner(request, self.subject, user)
        body = self.parse(QuietHoursSerializer)
        return Response(quiet_hours.set_schedule(target, actor=self.actor, schedule=body.get("schedule")))


class DormantSerializer(RequestSerializer):
    dormant = StrictBooleanField()


class DormantView(PortalAPIView):
    def put(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        body = self.parse(DormantSerializer)
        changed = services.set_dormant(workspace, actor=self.actor, dormant=body["dormant"])
        if not changed:
            return Response(status=304)
        return Response(workspace_json(get_workspace(self.subject, workspace_id), request.user.pk))


class ResolveAutostartView(PortalAPIView):
    def get(self, request, workspace_id):
        workspace = get_workspace(self.subject, workspace_id)
        return Response({"parameter_mismatch": services.autostart_parameter_mismatch(workspace, actor=self.actor)})


async def _sse(subject, workspace_id, requester_id):
    yield "event: ping\ndata: {}\n\n"
    async for data in watch.follow(subject, workspace_id, requester_id):
        yield f"event: data\ndata: {json.dumps(data)}\n\n"


class WatchView(PortalAPIView):
    """Server-sent events: the workspace JSON at once, then on every change (Coder's watch)."""

    def get(self, request, workspace_id):
        get_workspace(self.subject, workspace_id)  # 404 before the stream starts
        response = StreamingHttpResponse(_sse(self.subject, workspace_id, request.user.pk),
                                         content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


def _readable(scope, workspace_id):
    subject = rbac.request_subject(scope)  # the connection's token, scope included
    try:
        get_workspace(subject, workspace_id)
    except rbac.NotFound:
        return None
    return subject


class WatchConsumer(AsyncWebsocketConsumer):
    """Websocket twin of WatchView: one `{"type": "data", "data": <workspace>}` per change."""

    async def connect(self):
        await self.accept()  # accept first so that a refusal carries a close code
        user = scope_user(self.scope)
        if user is None:
            await self.close(code=4401)
            return
        workspace_id = self.scope["url_route"]["kwargs"]["workspace_id"]
        subject = await database_sync_to_async(_readable)(self.scope, workspace_id)
        if subject is None:
            await self.close(code=4404)
            return
        self.pump = asyncio.create_task(self._pump(subject, workspace_id, user.pk))

    async def _pump(self, subject, workspace_id, requester_id):
        async for data in watch.follow(subject, workspace_id, requester_id):
            await self.send(text_data=json.dumps({"type": "data", "data": data}))
        await self.close(code=1000)

    async def disconnect(self, code):
        pump = getattr(self, "pump", None)
        if pump is not None and not pump.done():
            pump.cancel()
