"""Pure schedule math: a template's schedule policy, next autostart, and a start build's
`deadline` / `max_deadline` (Coder's `schedule.CalculateAutostop`).

Everything here is a function of its arguments (no database, no clock), so Coder's table
tests port one to one. Times are aware datetimes; results are UTC.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from workspaces.lifecycle import cron

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A restart this close to the quiet hours does not skip them (Coder PR #15445: 2 h, the same
# lead time as the UI's "restart now to skip" hint).
AUTOSTOP_REQUIREMENT_LEEWAY = timedelta(hours=2)
# Quiet hours exactly at midnight belong to the day that starts then.
AUTOSTOP_REQUIREMENT_BUFFER = timedelta(minutes=15)
# Weeks of "every N weeks" count from this Monday (Coder's epoch).
AUTOSTOP_EPOCH = date(2023, 1, 2)
MAX_AUTOSTOP_WEEKS = 16


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class TemplateSchedule:
    """The scheduling policy of a template, in the units the math uses."""

    user_autostart_enabled: bool = True
    user_autostop_enabled: bool = True
    default_ttl: timedelta = timedelta(0)
    activity_bump: timedelta = timedelta(hours=1)
    autostop_days: frozenset[int] = frozenset()  # Python weekdays, 0 = Monday
    autostop_weeks: int = 1
    autostart_days: frozenset[int] = frozenset(range(7))
    failure_ttl: timedelta = timedelta(0)
    time_til_dormant: timedelta = timedelta(0)
    time_til_dormant_autodelete: timedelta = timedelta(0)
    require_active_version: bool = False

    @classmethod
    def of(cls, template) -> TemplateSchedule:
        def ms(value) -> timedelta:
            return timedelta(milliseconds=value or 0)

        def days(names) -> frozenset[int]:
            return frozenset(WEEKDAYS.index(n) for n in (names or []) if n in WEEKDAYS)

        return cls(user_autostart_enabled=template.allow_user_autostart,
                   user_autostop_enabled=template.allow_user_autostop,
                   default_ttl=ms(template.default_ttl_ms), activity_bump=ms(template.activity_bump_ms),
                   autostop_days=days(template.autostop_requirement_days_of_week),
                   autostop_weeks=max(1, template.autostop_requirement_weeks or 1),
                   autostart_days=days(template.autostart_requirement_days_of_week),
                   failure_ttl=ms(template.failure_ttl_ms), time_til_dormant=ms(template.time_til_dormant_ms),
                   time_til_dormant_autodelete=ms(template.time_til_dormant_autodelete_ms),
                   require_active_version=template.require_active_version)


def truncate_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


# --- autostart ----------------------------------------------------------------------------
def next_autostart(at: datetime, schedule: str, tmpl: TemplateSchedule) -> tuple[datetime | None, bool]:
    """The schedule's next firing after `at` and whether the template allows that day (the
    weekday in the schedule's own zone, as Coder). (None, False) for no/invalid schedule."""
    if not schedule:
        return None, False
    try:
        parsed = cron.weekly(schedule)
    except ValueError:
        return None, False
    nxt = truncate_minute(parsed.next(at))
    return nxt.astimezone(UTC), nxt.weekday() in tmpl.autostart_days


def next_allowed_autostart(at: datetime, schedule: str, tmpl: TemplateSchedule) -> datetime | None:
    """The first firing after `at` on a day the template allows, within 7 days (else None)."""
    cursor = at
    while True:
        nxt, allowed = next_autostart(cursor, schedule, tmpl)
        if nxt is None or nxt - at >= timedelta(days=7):
            return None
        if allowed:
            return nxt
        cursor = nxt


# --- deadlines ----------------------------------------------------------------------------
def _midnight(day: date, zone) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)  # calendar midnight: right across DST


def next_applicable_monday(start_of_day: datetime, weeks: int) -> datetime:
    """Monday midnight of the first week (this one included) whose number since the epoch is a
    multiple of `weeks`; weeks are counted in calendar days, so DST cannot skip one."""
    day = start_of_day.date()
    if day < AUTOSTOP_EPOCH:
        raise ScheduleError("coder server system clock is incorrect, cannot calculate template autostop requirement")
    monday = day - timedelta(days=day.weekday())
    week = (monday - AUTOSTOP_EPOCH).days // 7
    if week % weeks == 0:
        return start_of_day
    monday += timedelta(weeks=weeks - week % weeks)
    return _midnight(monday, start_of_day.tzinfo)


def max_deadline_for(now: datetime, tmpl: TemplateSchedule, quiet_hours: str) -> datetime | None:
    """The autostop requirement: the owner's next quiet hours on a required day (every N weeks)."""
    if not tmpl.autostop_days or not quiet_hours:
        return None
    quiet = cron.daily(quiet_hours)
    zone = quiet.zone
    local_now = now.astimezone(zone)
    start = _midnight((local_now + AUTOSTOP_REQUIREMENT_LEEWAY).date(), zone)
    if tmpl.autostop_weeks > 1:
        start = next_applicable_monday(start, tmpl.autostop_weeks)
    if quiet.next(start - AUTOSTOP_REQUIREMENT_BUFFER) < now + AUTOSTOP_REQUIREMENT_LEEWAY:
        start = _midnight(start.date() + timedelta(days=1), zone)  # too close: skip to the next day
    for _ in range(7):
        if start.weekday() in tmpl.autostop_days:
            break
        start = _midnight(start.date() + timedelta(days=1), zone)
    check = start - AUTOSTOP_REQUIREMENT_BUFFER
    if start < now + timedelta(hours=1):
        check = now + timedelta(hours=1)
    return quiet.next(check).astimezone(UTC)


def effective_ttl(ws_ttl_ms: int | None, tmpl: TemplateSchedule) -> timedelta:
    if not tmpl.user_autostop_enabled:
        return tmpl.default_ttl
    return timedelta(milliseconds=ws_ttl_ms or 0)


def calculate_autostop(*, now: datetime, transition: str, ws_ttl_ms: int | None, autostart_schedule: str,
                       tmpl: TemplateSchedule, quiet_hours: str) -> tuple[datetime | None, datetime | None]:
    """(deadline, max_deadline) of a build completing at `now`; stop and delete builds get none."""
    if transition != "start":
        return None, None
    deadline = None
    ttl = effective_ttl(ws_ttl_ms, tmpl)
    if ttl > timedelta(0):
        deadline = now + ttl
        # A start late at night must not stop before the next morning's autostart window ends.
        nxt, allowed = next_autostart(now, autostart_schedule, tmpl) if tmpl.user_autostart_enabled else (None, False)
        if nxt is not None and allowed and deadline > nxt:
            deadline = nxt + ttl
    max_deadline = max_deadline_for(now, tmpl, quiet_hours)
    if max_deadline is not None and (deadline is None or max_deadline < deadline):
        deadline = max_deadline
    if (deadline is not None and deadline < now) or (max_deadline is not None and max_deadline < now):
        raise ScheduleError("deadline calculation error, computed deadline or max deadline is in the past")
    return (deadline.astimezone(UTC) if deadline else None), max_deadline
