"""`GET /notifications/inbox/watch`: a websocket that pushes each new inbox notification of the
connected user as `{"notification": {...}, "unread_count": n}` (Coder's shape).

The inbox dispatcher publishes on the user's channel-layer group; with Redis that reaches
every web replica. Optional `targets`, `templates`, `read_status` filters as in Coder.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts import rbac
from coderportal.ws_auth import scope_user
from notifications.services.dispatcher import inbox_group
from notifications.services.inbox import unread_count


class InboxWatchConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = scope_user(self.scope)
        if user is None:
            await self.close(code=4401)
            return
        subject = await database_sync_to_async(rbac.request_subject)(self.scope)  # token scope included
        allowed = await database_sync_to_async(rbac.can)(
            subject, "read", rbac.RbacObject(type="inbox_notification", owner_id=user.id))
        if not allowed:
            await self.close(code=4403)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.templates = {v for raw in query.get("templates", []) for v in raw.split(",") if v}
        self.targets = {v for raw in query.get("targets", []) for v in raw.split(",") if v}
        self.read_status = (query.get("read_status") or ["all"])[0]
        self.user = user
        self.group = inbox_group(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        pass  # the stream is one-way

    async def inbox_notification(self, event):
        item = event["notification"]
        if self.templates and item["template_id"] not in self.templates:
            return
        if self.targets and not self.targets.issubset(set(item["targets"])):
            return
        if self.read_status == "read":  # a new notification is unread
            return
        count = await database_sync_to_async(unread_count)(self.user)
        await self.send(text_data=json.dumps({"notification": item, "unread_count": count}))
