"""Autostart schedules in Coder's format: `CRON_TZ=<zone> <minute> <hour> * * <days of week>`.

Parsing and "next time" use croniter; the time zone is optional (UTC by default). As in
Coder, day-of-month and month must be `*`: schedules are weekly.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter


def parse_schedule(schedule: str) -> tuple[ZoneInfo, str]:
    text = schedule.strip()
    zone = ZoneInfo("UTC")
    if text.startswith("CRON_TZ="):
        zone_name, _, text = text[len("CRON_TZ="):].partition(" ")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"Unknown time zone {zone_name!r}.") from None
    fields = text.split()
    if len(fields) != 5:
        raise ValueError("Schedule must have 5 fields: minute hour day-of-month month day-of-week.")
    if fields[2] != "*" or fields[3] != "*":
        raise ValueError("Schedule day-of-month and month must be '*'.")
    expression = " ".join(fields)
    if not croniter.is_valid(expression):
        raise ValueError(f"Invalid cron expression {expression!r}.")
    return zone, expression


def next_run(schedule: str, after: datetime) -> datetime:
    zone, expression = parse_schedule(schedule)
    return croniter(expression, after.astimezone(zone)).get_next(datetime)
