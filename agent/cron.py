"""A tiny cron matcher for `coder_script.cron`: five fields (minute hour day month weekday)
or six with seconds first, as Coder's agent accepts. Supports `*`, lists, ranges and steps;
day-of-month and day-of-week are OR-ed when both are restricted, as in classic cron."""
from __future__ import annotations

from datetime import datetime

_BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]  # sec min hour dom month dow
_NAMES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
          "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
          "oct": 10, "nov": 11, "dec": 12}


def _value(text: str) -> int:
    return _NAMES[text.lower()] if text.lower() in _NAMES else int(text)


def _field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {part!r}")
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = _value(a), _value(b)
        else:
            start = _value(body)
            end = high if step_text else start
        if high == 6 and end == 7:  # Sunday may be written 7
            values.add(0)
            if start == 7:
                continue
            end = 6
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise ValueError(f"{part!r} out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


class Cron:
    def __init__(self, expression: str):
        fields = expression.split()
        if len(fields) == 5:
            fields = ["0", *fields]
        if len(fields) != 6:
            raise ValueError(f"cron expression needs 5 or 6 fields: {expression!r}")
        self.sets = [_field(f, lo, hi) for f, (lo, hi) in zip(fields, _BOUNDS)]
        self.dom_any = fields[3] in ("*", "?")
        self.dow_any = fields[5] in ("*", "?")

    def matches(self, when: datetime) -> bool:
        sec, minute, hour, dom, month, dow = self.sets
        if when.second not in sec or when.minute not in minute or when.hour not in hour or when.month not in month:
            return False
        day_ok, weekday_ok = when.day in dom, (when.isoweekday() % 7) in dow
        if self.dom_any or self.dow_any:
            return day_ok and weekday_ok
        return day_ok or weekday_ok
