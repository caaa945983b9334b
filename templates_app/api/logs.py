"""Provisioner job logs over HTTP (`?after=&before=`), Server-Sent Events (`?follow=true`)
and websockets (the same path, as Coder clients use). Shared by template-version imports,
dry-runs and workspace builds: callers only say how to find an authorized job."""
from __future__ import annotations

import asyncio
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import StreamingHttpResponse
from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from coderportal.api.views import PortalAPIView
from coderportal.ws_auth import scope_user
from templates_app.models import ProvisionerJob, ProvisionerJobLog
from templates_app.models.jobs import FINAL_STATUSES

POLL_SECONDS = 0.2
PAGE = 500


def log_json(row: ProvisionerJobLog) -> dict:
    return {"id": row.id, "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
            "log_source": row.source, "log_level": row.level, "stage": row.stage, "output": row.output}


def _int_param(params, name: str) -> int:
    raw = params.get(name, "")
    if raw in ("", None):
        return 0
    try:
        value = int(raw)
        if value < 0:
            raise ValueError
    except ValueError:
        raise serializers.ValidationError({name: ["Must be a non-negative integer log id."]}) from None
    return value


def _rows(job_id, after: int, before: int = 0) -> list[ProvisionerJobLog]:
    qs = ProvisionerJobLog.objects.filter(job_id=job_id, id__gt=after)
    if before:
        qs = qs.filter(id__lt=before)
    return list(qs.order_by("id")[:PAGE])


def _is_final(job_id) -> bool:
    return ProvisionerJob.objects.filter(pk=job_id, status__in=FINAL_STATUSES).exists()


async def follow(job_id, after: int):
    """Yield log rows as they are written, until the job has ended and every row was sent."""
    while True:
        final = await database_sync_to_async(_is_final)(job_id)
        rows = await database_sync_to_async(_rows)(job_id, after)
        for row in rows:
            after = row.id
            yield row
        if final and len(rows) < PAGE:
            return
        if not rows:
            await asyncio.sleep(POLL_SECONDS)


async def _sse(job_id, after: int):
    async for row in follow(job_id, after):
        yield f"event: data\ndata: {json.dumps(log_json(row))}\n\n"
    yield "event: complete\ndata: {}\n\n"


def wants_follow(params) -> bool:
    """Coder clients send `?follow` or `?follow=true`."""
    return "follow" in params and params.get("follow", "").lower() in ("", "true", "1")


class JobLogsView(PortalAPIView):
    """Subclasses implement `get_job(**kwargs)` returning an authorized ProvisionerJob."""

    def get_job(self, **kwargs) -> ProvisionerJob:
        raise NotImplementedError

    def get(self, request, **kwargs):
        job = self.get_job(**kwargs)
        after = _int_param(request.query_params, "after")
        before = _int_param(request.query_params, "before")
        if wants_follow(request.query_params):
            response = StreamingHttpResponse(_sse(job.pk, after), content_type="text/event-stream")
            response["Cache-Control"] = "no-cache"
            response["X-Accel-Buffering"] = "no"
            return response
        rows = ProvisionerJobLog.objects.filter(job_id=job.pk, id__gt=after)
        if before:
            rows = rows.filter(id__lt=before)
        return Response([log_json(r) for r in rows.order_by("id")])


class JobLogsConsumer(AsyncWebsocketConsumer):
    """Websocket twin of JobLogsView: one JSON log object per message, closed when the job ends.

    Subclasses implement `get_job_id(subject, **kwargs)` (sync; None when unreadable); the
    subject comes from the connection's credentials, token scope included.
    """

    def get_job_id(self, subject, **kwargs):
        raise NotImplementedError

    async def connect(self):
        user = scope_user(self.scope)
        if user is None:
            await self.close(code=4401)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        job_id = await database_sync_to_async(self._job_id)(kwargs)
        if job_id is None:
            await self.close(code=4404)
            return
        from urllib.parse import parse_qs

        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            after = int(query.get("after", ["0"])[0] or 0)
        except ValueError:
            after = 0
        await self.accept()
        self.pump = asyncio.create_task(self._pump(job_id, after))

    def _job_id(self, kwargs):
        return self.get_job_id(rbac.request_subject(self.scope), **kwargs)

    async def _pump(self, job_id, after: int):
        async for row in follow(job_id, after):
            await self.send(text_data=json.dumps(log_json(row)))
        await self.close(code=1000)

    async def disconnect(self, code):
        pump = getattr(self, "pump", None)
        if pump is not None and not pump.done():
            pump.cancel()
