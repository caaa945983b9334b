"""Deadlines of running builds: set when a build succeeds, moved by activity.

`on_build_completed` is the one call the build-completion code makes: a successful start gets
`deadline` and `max_deadline` (schedule.calculate_autostop), every completed build refreshes
the workspace's cached `next_start_at`. `bump_target` is Coder's activity-bump rule.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from workspaces.lifecycle import quiet_hours
from workspaces.lifecycle.schedule import (
    ScheduleError,
    TemplateSchedule,
    calculate_autostop,
    effective_ttl,
    next_allowed_autostart,
    next_autostart,
)

log = logging.getLogger(__name__)


def on_build_completed(build, *, succeeded: bool, now: datetime) -> None:
    """Called inside the job-completion transaction, with the build row locked."""
    from workspaces.models import Workspace, WorkspaceBuild

    workspace = Workspace.objects.select_related("template", "owner").get(pk=build.workspace_id)
    tmpl = TemplateSchedule.of(workspace.template)
    next_start = None
    if workspace.autostart_schedule and tmpl.user_autostart_enabled:
        next_start = next_allowed_autostart(now, workspace.autostart_schedule, tmpl)
    Workspace.objects.filter(pk=workspace.pk).update(next_start_at=next_start)
    if not succeeded or build.transition != "start":
        return
    try:
        deadline, max_deadline = calculate_autostop(
            now=now, transition=build.transition, ws_ttl_ms=workspace.ttl_ms,
            autostart_schedule=workspace.autostart_schedule, tmpl=tmpl,
            quiet_hours=quiet_hours.effective_schedule(workspace.owner))
    except (ScheduleError, ValueError):
        # A broken quiet-hours setting must not fail a build that did succeed: no autostop.
        log.exception("cannot compute the deadline of build %s", build.pk)
        return
    WorkspaceBuild.objects.filter(pk=build.pk).update(deadline=deadline, max_deadline=max_deadline)
    build.deadline, build.max_deadline = deadline, max_deadline


def bump_target(*, now: datetime, deadline: datetime | None, max_deadline: datetime | None, ws_ttl_ms: int | None,
                autostart_schedule: str, tmpl: TemplateSchedule) -> datetime | None:
    """The new deadline after activity at `now`, or None when nothing changes (Coder's
    ActivityBumpWorkspace: never earlier, never past max_deadline, only once ~5% of the bump
    has elapsed; close to the next autostart it extends as if the workspace had autostarted)."""
    if deadline is None or tmpl.activity_bump <= timedelta(0):
        return None
    interval = tmpl.activity_bump
    nxt, allowed = next_autostart(now, autostart_schedule, tmpl)
    if nxt is not None and allowed and nxt > now and now + interval > nxt:
        interval = (nxt - now) + effective_ttl(ws_ttl_ms, tmpl)
    if interval <= timedelta(0) or not deadline - interval * 0.95 < now:
        return None
    target = max(deadline, now + interval)
    if max_deadline is not None:
        target = min(target, max_deadline)
    return target if target != deadline else None
