"""Durations in human units for forms: "8h", "90m", "1h30m", "2d" <-> milliseconds.

The API speaks Coder's milliseconds (`ttl_ms`, `default_ttl_ms`, ...); people should not have
to. A bare number means minutes (as Coder's CLI `schedule stop 30`).
"""
from __future__ import annotations

import re

from django import forms

UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")
MAX_TEXT = 32


def format_ms(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms == 0:
        return "0"
    parts, rest = [], int(ms)
    for unit, size in UNITS:
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or f"{ms}ms"


def parse_ms(text: str) -> int:
    """Raises ValueError with a readable message."""
    text = text.strip().lower().replace(" ", "")
    if len(text) > MAX_TEXT:
        raise ValueError("Too long.")
    if text.isdigit():
        return int(text) * 60_000
    if not text or _PART.sub("", text):
        raise ValueError("Use hours and minutes, e.g. 8h, 90m or 1h30m (a bare number is minutes).")
    return int(sum(float(n) * dict(UNITS)[u] for n, u in _PART.findall(text)))


class DurationMsField(forms.CharField):
    """A form field showing and taking human durations; its cleaned value is milliseconds
    (None when left empty, 0 for "0")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"maxlength": MAX_TEXT, "size": 12}))
        super().__init__(*args, **kwargs)  # (no max_length validator: the cleaned value is an int)

    def prepare_value(self, value):
        return format_ms(value) if isinstance(value, int) else value

    def to_python(self, value):
        text = super().to_python(value)
        if text in (None, ""):
            return None
        try:
            return parse_ms(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != initial
        except forms.ValidationError:
            return True
