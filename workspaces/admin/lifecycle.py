"""What the workspace admin shows about a workspace's lifecycle: when it stops, and a preview
of its next autostart and autostop computed with the same schedule math as the executor."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from coderportal.durations import format_ms
from workspaces.lifecycle import quiet_hours
from workspaces.lifecycle.schedule import (
    ScheduleError,
    TemplateSchedule,
    effective_ttl,
    max_deadline_for,
    next_allowed_autostart,
)


def local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def _running(workspace):
    build = workspace.latest_build
    if build is None or build.transition != "start" or build.job.status != "succeeded":
        return None
    return build


def deadline_text(workspace) -> str:
    build = _running(workspace)
    if build is None:
        return "—"
    return local(build.deadline) if build.deadline else "manual"


def one_hour_later(workspace) -> datetime:
    """The extend action's target: an hour after the current stop time (or from now)."""
    build = _running(workspace)
    base = build.deadline if build is not None and build.deadline else timezone.now()
    return max(base, timezone.now()) + timedelta(hours=1)


def schedule_preview(workspace, now: datetime | None = None) -> str:
    now = now or timezone.now()
    tmpl = TemplateSchedule.of(workspace.template)
    lines = []
    if workspace.dormant_at:
        lines.append(f"Dormant since {local(workspace.dormant_at)}: no autostart or autostop; "
                     + (f"deleted after {local(workspace.deleting_at)}." if workspace.deleting_at else "not deleted."))
    if workspace.autostart_schedule and tmpl.user_autostart_enabled:
        nxt = next_allowed_autostart(now, workspace.autostart_schedule, tmpl)
        lines.append(f"Next autostart: {local(nxt)}." if nxt else "Autostart: no day allowed by the template.")
    else:
        lines.append("Autostart: off.")
    build = _running(workspace)
    ttl = effective_ttl(workspace.ttl_ms, tmpl)
    if build is not None:
        lines.append(f"Running: stops at {local(build.deadline)}." if build.deadline else "Running: manual stop.")
        if build.max_deadline:
            lines.append(f"Latest stop allowed by the template: {local(build.max_deadline)}.")
        if workspace.last_bump_source:
            lines.append(f"Kept running by {workspace.last_bump_source} activity (last at "
                         f"{local(workspace.last_bump_at)}).")
    if ttl.total_seconds() > 0:
        lines.append(f"Autostop {format_ms(int(ttl.total_seconds() * 1000))} after each start.")
    try:
        required = max_deadline_for(now, tmpl, quiet_hours.effective_schedule(workspace.owner))
    except (ScheduleError, ValueError):
        required = None
    if required:
        lines.append(f"Required stop (template, owner's quiet hours) for a start now: {local(required)}.")
    return " ".join(lines)
