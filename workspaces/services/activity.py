"""Workspace activity: a terminal, SSH or app session marks its workspace as used and
pushes the running build's autostop deadline out (Coder's "activity bump").

Coder's rules (workspaces.lifecycle.deadlines.bump_target): `last_used_at` becomes now; the
deadline of the latest build moves to now + the template's `activity_bump_ms` (or, close to
the next autostart, to that autostart + TTL), but only when the build is a successful `start`
with a deadline set, only when that moves the deadline later, and never past the build's
`max_deadline`. A template with `activity_bump_ms = 0` does not bump. Beyond Coder, the
workspace remembers which kind of session last moved its deadline (`ssh`, `terminal`, `app`,
...), so its JSON can say why it is still running.

Sessions report activity often (every proxied request), so each workspace is bumped at
most once per THROTTLE_SECONDS (shared through the cache, so across web replicas too).
Recording activity is not a user action: no audit row.
"""
from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from workspaces.lifecycle import changes

THROTTLE_SECONDS = 60


def _cache_key(workspace_id) -> str:
    return f"workspace-activity.{workspace_id}"


def record_activity(workspace_id, *, now: datetime | None = None, throttle: bool = True,
                    source: str = "connection") -> bool:
    """Bump the workspace's usage. False when throttled (bumped recently) or gone."""
    if throttle and not cache.add(_cache_key(workspace_id), 1, timeout=THROTTLE_SECONDS):
        return False
    return bump(workspace_id, now=now or timezone.now(), source=source)


def bump(workspace_id, *, now: datetime, source: str = "connection") -> bool:
    from workspaces.lifecycle.deadlines import bump_target
    from workspaces.lifecycle.schedule import TemplateSchedule
    from workspaces.models import Workspace, WorkspaceBuild

    with transaction.atomic():
        workspace = (Workspace.objects.select_for_update().select_related("template")
                     .filter(pk=workspace_id, deleted=False).first())
        if workspace is None:
            return False
        Workspace.objects.filter(pk=workspace.pk).update(last_used_at=now)
        if workspace.latest_build_id is None or workspace.template.activity_bump_ms <= 0:
            return True
        build = (WorkspaceBuild.objects.select_for_update().select_related("job")
                 .filter(pk=workspace.latest_build_id).first())
        if build is None or build.transition != "start" or build.deadline is None:
            return True
        if build.job.status != "succeeded":
            return True
        target = bump_target(now=now, deadline=build.deadline, max_deadline=build.max_deadline,
                             ws_ttl_ms=workspace.ttl_ms, autostart_schedule=workspace.autostart_schedule,
                             tmpl=TemplateSchedule.of(workspace.template))
        if target is not None and target > build.deadline:
            WorkspaceBuild.objects.filter(pk=build.pk).update(deadline=target)
            Workspace.objects.filter(pk=workspace.pk).update(last_bump_source=source[:32], last_bump_at=now)
            changes.publish_on_commit(workspace.pk)
    return True


async def arecord_activity(workspace_id, source: str = "connection") -> bool:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(record_activity)(workspace_id, source=source)
