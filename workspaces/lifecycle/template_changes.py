"""Keeping workspaces' cached lifecycle values right when their template's schedule changes
(Coder's template schedule store `Set`), scoped to that template's workspaces only (Coder bug
PR #11000 updated every template's):

- allowed autostart days (or allow_user_autostart) changed: recompute `next_start_at`;
- auto-delete period changed: recompute `deleting_at = dormant_at + period` of dormant ones;
- autostop policy (default TTL, user autostop, autostop requirement) changed: running builds get
  a new `max_deadline` computed from their start (never sooner than 2 hours from now, Coder's
  grace), their deadline is kept but capped by it (a build without one gets it); builds already
  within 2 hours of their max deadline are left alone (Coder's updateWorkspaceBuilds).

Connected to the Template model's post_save, inside the template service's transaction.
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from workspaces.lifecycle.schedule import TemplateSchedule, next_allowed_autostart

AUTOSTART_FIELDS = {"autostart_requirement_days_of_week", "allow_user_autostart"}
AUTODELETE_FIELDS = {"time_til_dormant_autodelete_ms"}
AUTOSTOP_FIELDS = {"default_ttl_ms", "allow_user_autostop", "autostop_requirement_days_of_week",
                   "autostop_requirement_weeks"}
GRACE = timedelta(hours=2)


def on_template_saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    if created or update_fields is None:
        return
    fields = set(update_fields)
    if fields & AUTOSTART_FIELDS:
        refresh_next_start(instance)
    if fields & AUTODELETE_FIELDS:
        refresh_deleting_at(instance)
    if fields & AUTOSTOP_FIELDS:
        refresh_running_deadlines(instance)


def refresh_next_start(template) -> int:
    from workspaces.models import Workspace

    tmpl, now = TemplateSchedule.of(template), timezone.now()
    rows = list(Workspace.objects.filter(template=template, deleted=False).exclude(autostart_schedule="")
                .only("id", "autostart_schedule", "next_start_at"))
    for row in rows:
        row.next_start_at = (next_allowed_autostart(now, row.autostart_schedule, tmpl)
                             if tmpl.user_autostart_enabled else None)
    Workspace.objects.bulk_update(rows, ["next_start_at"], batch_size=500)
    return len(rows)


def refresh_deleting_at(template) -> int:
    from workspaces.models import Workspace

    period = template.time_til_dormant_autodelete_ms
    rows = list(Workspace.objects.filter(template=template, deleted=False, dormant_at__isnull=False)
                .only("id", "dormant_at", "deleting_at"))
    for row in rows:
        row.deleting_at = row.dormant_at + timedelta(milliseconds=period) if period else None
    Workspace.objects.bulk_update(rows, ["deleting_at"], batch_size=500)
    return len(rows)


def refresh_running_deadlines(template, now=None) -> int:
    from workspaces.lifecycle import quiet_hours
    from workspaces.lifecycle.schedule import ScheduleError, calculate_autostop
    from workspaces.models import Workspace, WorkspaceBuild

    now = now or timezone.now()
    tmpl = TemplateSchedule.of(template)
    workspaces = (Workspace.objects.filter(template=template, deleted=False, latest_build__transition="start",
                                           latest_build__job__status="succeeded")
                  .select_related("owner", "latest_build__job"))
    changed = 0
    for workspace in workspaces:
        build = workspace.latest_build
        if build.max_deadline is not None and build.max_deadline < now + GRACE:
            continue  # about to stop anyway: not worth surprising anyone
        try:
            _, max_deadline = calculate_autostop(
                now=build.job.completed_at, transition="start", ws_ttl_ms=workspace.ttl_ms,
                autostart_schedule=workspace.autostart_schedule, tmpl=tmpl,
                quiet_hours=quiet_hours.effective_schedule(workspace.owner))
        except (ScheduleError, ValueError):
            continue
        if max_deadline is not None:
            max_deadline = max(max_deadline, now + GRACE)
        deadline = build.deadline
        if max_deadline is not None and (deadline is None or deadline > max_deadline):
            deadline = max_deadline
        if (deadline, max_deadline) != (build.deadline, build.max_deadline):
            WorkspaceBuild.objects.filter(pk=build.pk).update(deadline=deadline, max_deadline=max_deadline)
            changed += 1
    return changed

