"""Coder's schedule strings: `CRON_TZ=<zone> <minute> <hour> <dom> <month> <dow>`.

Weekly schedules (autostart) need day-of-month and month to be `*`; daily ones (quiet
hours) need day-of-week to be `*` too. Field syntax (lists, ranges, steps) is expanded by
croniter; the "next time" walk is ours, on calendar days in the schedule's zone with
`zoneinfo`, because croniter's DST handling is unreliable. DST follows Coder (robfig/cron):
a local time that does not exist (spring forward) is skipped, an ambiguous one (fall back)
fires once, at its first occurrence.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

FIELDS_ERROR = "expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix"
WEEKLY_ERROR = "expected day-of-month and month to be *"
DAILY_ERROR = "expected day-of-month, month and day-of-week to be *"
MAX_LENGTH = 256


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    weekdays: frozenset[int]  # 0 = Sunday … 6 = Saturday, as in cron
    cron: str

    def __str__(self) -> str:
        return f"CRON_TZ={self.zone.key} {self.cron}"

    def times_per_day(self) -> int:
        return len(self.minutes) * len(self.hours)

    def time_of_day(self) -> str:
        return f"{self.hours[0]:02d}:{self.minutes[0]:02d}" if self.times_per_day() == 1 else f"cron({self.cron})"

    def next(self, after: datetime) -> datetime:
        """The first firing strictly after `after` (aware), in the schedule's zone."""
        local = after.astimezone(self.zone)
        day = local.date()
        for _ in range(9):  # a weekly schedule fires within 8 calendar days (plus a skipped DST slot)
            if _cron_weekday(day) in self.weekdays:
                for candidate in self._times_on(day):
                    if candidate > after:
                        return candidate
            day += timedelta(days=1)
        raise ValueError("schedule never fires")  # unreachable: every field is non-empty

    def _times_on(self, day: date):
        for hour in self.hours:
            for minute in self.minutes:
                wall = datetime.combine(day, time(hour, minute), tzinfo=self.zone)  # fold=0: first occurrence
                if wall.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
                    continue  # does not exist on this day (clocks jumped over it)
                yield wall


def _cron_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7


def _expand(values, low: int, high: int) -> tuple[int, ...]:
    if values == ["*"]:
        return tuple(range(low, high + 1))
    return tuple(sorted({int(v) % 7 if high == 6 else int(v) for v in values}))


def _parse(raw: str, *, daily: bool) -> Schedule:
    if len(raw) > MAX_LENGTH:
        raise ValueError(f"schedule must be at most {MAX_LENGTH} characters")
    fields = raw.split()
    zone_name = "UTC"
    if len(fields) == 6:
        prefix = fields.pop(0)
        if not prefix.startswith("CRON_TZ="):
            raise ValueError(FIELDS_ERROR)
        zone_name = prefix[len("CRON_TZ="):]
    if len(fields) != 5:
        raise ValueError(FIELDS_ERROR)
    if zone_name == "Local":
        raise ValueError("schedules scoped to time.Local are not supported")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"parse schedule: provided bad location {zone_name}: unknown time zone {zone_name}") from None
    if fields[2] != "*" or fields[3] != "*":
        raise ValueError(WEEKLY_ERROR if not daily else DAILY_ERROR)
    if daily and fields[4] != "*":
        raise ValueError(DAILY_ERROR)
    cron = " ".join(fields)
    try:
        expanded, _ = croniter.expand(cron)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"parse schedule: {exc}") from None
    return Schedule(zone=zone, minutes=_expand(expanded[0], 0, 59), hours=_expand(expanded[1], 0, 23),
                    weekdays=frozenset(_expand(expanded[4], 0, 6)), cron=cron)


def weekly(raw: str) -> Schedule:
    """An autostart schedule (Coder's `cron.Weekly`). Raises ValueError with Coder's texts."""
    return _parse(raw.strip(), daily=False)


def daily(raw: str) -> Schedule:
    """A quiet-hours schedule (Coder's `cron.Daily`): one time of day, every day."""
    schedule = _parse(raw.strip(), daily=True)
    if schedule.times_per_day() != 1:
        raise ValueError(f"daily schedule {raw.strip()!r} has more than one time")
    return schedule
