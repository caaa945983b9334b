"""`schedule show|start|stop|extend` with Coder's human formats: `9:30AM Mon-Fri Europe/Dublin`
(or `manual`), `8h30m` (or `manual`)."""
from __future__ import annotations

import datetime
import re

from .config import CLIError, session
from .workspaces import get_workspace

DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


def duration(text: str) -> int:
    """`8h`, `30m`, `1h30m`, `90s` -> milliseconds."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text.strip())
    if not text.strip() or not parts:
        raise CLIError(f"{text!r} is not a duration (like 8h, 30m, 1h30m)")
    h, m, s = (int(x or 0) for x in parts.groups())
    return ((h * 60 + m) * 60 + s) * 1000


def cron(words: list[str]) -> str:
    """`9:30AM [Mon-Fri] [Europe/Dublin]` -> `CRON_TZ=Europe/Dublin 30 9 * * 1-5`."""
    if not words:
        raise CLIError("expected a time like 9:30AM")
    when = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(AM|PM)?", words[0], re.I)
    if not when:
        raise CLIError(f"{words[0]!r} is not a time (like 9:30AM or 17:00)")
    hour, minute = int(when.group(1)), int(when.group(2) or 0)
    if when.group(3):
        if not 1 <= hour <= 12:
            raise CLIError(f"{words[0]!r}: hour must be 1-12 with AM/PM")
        hour = hour % 12 + (12 if when.group(3).upper() == "PM" else 0)
    if hour > 23 or minute > 59:
        raise CLIError(f"{words[0]!r} is not a time of day")
    days, zone = "*", ""
    for word in words[1:]:
        if re.fullmatch(r"[A-Za-z]{3}(-[A-Za-z]{3})?(,[A-Za-z]{3}(-[A-Za-z]{3})?)*", word) and "/" not in word:
            try:
                days = ",".join("-".join(str(DAYS.index(d.capitalize())) for d in part.split("-"))
                                for part in word.split(","))
            except ValueError:
                raise CLIError(f"{word!r} is not a day range (like Mon-Fri)") from None
        else:
            zone = word
    return (f"CRON_TZ={zone} " if zone else "") + f"{minute} {hour} * * {days}"


def show(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    ttl = w.get("ttl_ms")
    print(f"Workspace:   {w['owner_name']}/{w['name']}")
    print(f"Starts at:   {w.get('autostart_schedule') or 'manual'}")
    print(f"Stops after: {str(ttl // 60000) + 'm' if ttl else 'manual'}")
    print(f"Stops at:    {(w.get('latest_build') or {}).get('deadline') or '-'}")
    return 0


def start(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    schedule = None if args.schedule == ["manual"] else cron(args.schedule)
    client.request("PUT", f"/api/v2/workspaces/{w['id']}/autostart", {"schedule": schedule})
    print(f"Autostart for {w['name']}: {schedule or 'manual'}")
    return 0


def stop(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    ttl = None if args.duration == "manual" else duration(args.duration)
    client.request("PUT", f"/api/v2/workspaces/{w['id']}/ttl", {"ttl_ms": ttl})
    print(f"Autostop for {w['name']}: {args.duration if ttl else 'manual'}")
    return 0


def extend(args) -> int:
    client = session(args)
    w = get_workspace(client, args.workspace)
    deadline = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(milliseconds=duration(args.duration))
    client.request("PUT", f"/api/v2/workspaces/{w['id']}/extend",
                   {"deadline": deadline.isoformat().replace("+00:00", "Z")})
    print(f"Workspace {w['name']} will stop at {deadline.isoformat(timespec='minutes')}.")
    return 0


def register(tree) -> None:
    group = tree.group("schedule", "Show or change a workspace's start/stop schedule.")
    group.command("show", show, "Show a workspace's schedule.").add_argument("workspace")
    p = group.command("start", start, "Autostart: `schedule start WS 9:30AM Mon-Fri Europe/Dublin` or `manual`.")
    p.add_argument("workspace")
    p.add_argument("schedule", nargs="+")
    p = group.command("stop", stop, "Autostop after a duration (`8h`, `30m`) or `manual`.")
    p.add_argument("workspace")
    p.add_argument("duration")
    p = group.command("extend", extend, "Move the current stop deadline to now + duration.", aliases=["override-stop"])
    p.add_argument("workspace")
    p.add_argument("duration")
