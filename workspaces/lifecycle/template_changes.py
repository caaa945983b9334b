"""Keeping workspaces' cached lifecycle values right when their template's schedule changes
(Coder's template schedule store `Set`), scoped to that template's workspaces only (Coder bug
PR #11000 updated every template's):

- allowed autostart days (or allow_user_autostart) changed: recompute `next_start_at`;
- auto-delete period changed: recompute `deleting_at = dormant_at + period` of dormant ones.

Running builds keep their deadlines (a shorter requirement applies from their next start).
Connected to the Template model's post_save, inside the template service's transaction.
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from workspaces.lifecycle.schedule import TemplateSchedule, next_allowed_autostart

AUTOSTART_FIELDS = {"autostart_requirement_days_of_week", "allow_user_autostart"}
AUTODELETE_FIELDS = {"time_til_dormant_autodelete_ms"}


def on_template_saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    if created or update_fields is None:
        return
    fields = set(update_fields)
    if fields & AUTOSTART_FIELDS:
        refresh_next_start(instance)
    if fields & AUTODELETE_FIELDS:
        refresh_deleting_at(instance)


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
