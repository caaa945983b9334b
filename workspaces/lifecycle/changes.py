"""Change notices for workspace watchers (`/watch`, `/watch-ws`).

Whatever changes a workspace or its latest build (a build queued, a job finishing, a
deadline moved, dormancy) calls `publish_on_commit(workspace_id)`; after the transaction
commits, a message goes to the workspace's channel-layer group and every watcher re-renders
the workspace. The notice carries no data: watchers read the committed state themselves.
"""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.db import transaction

log = logging.getLogger(__name__)
MESSAGE_TYPE = "workspace.changed"


def group_name(workspace_id) -> str:
    return f"workspace-watch.{workspace_id}"


def publish(workspace_id) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(workspace_id), {"type": MESSAGE_TYPE})
    except Exception:  # a missed notice only delays watchers until their next re-check
        log.warning("cannot publish a change of workspace %s", workspace_id, exc_info=True)


def publish_on_commit(workspace_id) -> None:
    transaction.on_commit(lambda: publish(workspace_id))
