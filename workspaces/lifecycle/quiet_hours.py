"""Users' quiet hours: the daily time at which templates' autostop requirement stops their
workspaces. Empty means the deployment default (`CODER_QUIET_HOURS_DEFAULT_SCHEDULE`), which
is also used for everyone when `CODER_ALLOW_CUSTOM_QUIET_HOURS` is off.

Changing one's quiet hours does not move running builds' `max_deadline` (Coder, by design:
otherwise a user could dodge the requirement); it applies from the next start.
"""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from coderportal import config
from workspaces.lifecycle import cron


def default_schedule() -> str:
    return config.get("CODER_QUIET_HOURS_DEFAULT_SCHEDULE").strip()


def custom_allowed() -> bool:
    return config.get_bool("CODER_ALLOW_CUSTOM_QUIET_HOURS")


def effective_schedule(user) -> str:
    if user is not None and custom_allowed() and user.quiet_hours_schedule:
        return user.quiet_hours_schedule
    return default_schedule()


def describe(user, *, now: datetime | None = None) -> dict:
    """Coder's UserQuietHoursScheduleResponse."""
    raw = effective_schedule(user)
    parsed = cron.daily(raw)
    return {"raw_schedule": str(parsed), "user_set": bool(custom_allowed() and user.quiet_hours_schedule),
            "user_can_set": custom_allowed(), "time": parsed.time_of_day(), "timezone": parsed.zone.key,
            "next": parsed.next(now or timezone.now()).isoformat()}


def get(user, *, actor: Actor) -> dict:
    rbac.authorize(actor.subject, "read_personal", user)
    return describe(user)


def set_schedule(user, *, actor: Actor, schedule: str | None) -> dict:
    rbac.authorize(actor.subject, "update_personal", user)
    if not custom_allowed():
        raise rbac.Forbidden("Users cannot set custom quiet hours schedule due to deployment configuration.")
    raw = (schedule or "").strip()
    if raw:
        try:
            raw = str(cron.daily(raw))
        except ValueError as exc:
            raise ValidationFailed("Invalid quiet hours schedule.", {"schedule": f"parse daily schedule: {exc}"}) \
                from None
    before = user.quiet_hours_schedule
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(quiet_hours_schedule=raw)
        user.quiet_hours_schedule = raw
        audit.record(actor, "write", "user", resource_id=user.pk, target=user.username,
                     changes=audit.diff({"quiet_hours_schedule": before}, {"quiet_hours_schedule": raw}))
    return describe(user)
