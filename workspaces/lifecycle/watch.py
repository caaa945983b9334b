"""Following a workspace: yield its JSON now and again whenever it or its latest build
changes, woken by the channel-layer notices of `changes`. A slow re-check (RECHECK_SECONDS)
catches changes made where no notice is sent (a job claimed by a worker in another process
without a shared channel layer); an unchanged rendering is never sent twice.
"""
from __future__ import annotations

import asyncio
import json

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from workspaces.lifecycle import changes

RECHECK_SECONDS = 10.0


def _render(subject, workspace_id, requester_id) -> dict | None:
    from workspaces.api.common import readable_workspaces
    from workspaces.api.serializers.workspaces import workspace_json, workspaces_json

    workspace = readable_workspaces(subject).filter(pk=workspace_id).first()
    if workspace is None:
        return None
    return workspaces_json([workspace], requester_id)[0] if workspace.latest_build_id else \
        workspace_json(workspace, requester_id)


async def follow(subject, workspace_id, requester_id, *, recheck: float = RECHECK_SECONDS):
    """Async generator of workspace JSON dicts; ends when the workspace is no longer readable."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = changes.group_name(workspace_id)
    await layer.group_add(group, channel)
    try:
        last = None
        while True:
            data = await database_sync_to_async(_render)(subject, workspace_id, requester_id)
            if data is None:
                return
            text = json.dumps(data, sort_keys=True)
            if text != last:
                last = text
                yield data
            try:
                await asyncio.wait_for(layer.receive(channel), timeout=recheck)
            except TimeoutError:
                pass
    finally:
        await layer.group_discard(group, channel)
