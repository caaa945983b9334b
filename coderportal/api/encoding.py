"""Rendering responses the way Go's encoding/json renders Coder's structs, so that clients
written against codersdk read our JSON exactly as they read Coder's.

- Times are RFC 3339 in UTC with a `Z`. A `time.Time` field (not a pointer) is never null:
  unset, it is Go's zero time `0001-01-01T00:00:00Z` (e.g. a user's `last_seen_at` before the
  first login, a token's `last_used` before its first use).
- A field Coder tags `omitempty` is left out when empty (nil pointer, "", empty list or map)
  instead of being sent as null: see `omit_empty`.
"""
from __future__ import annotations

from rest_framework import serializers

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_EMPTY = (None, "", [], {})


def go_time(value) -> str | None:
    """A `*time.Time`: the time, or None (null) when unset."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def go_time_value(value) -> str:
    """A `time.Time`: the time, or Go's zero time when unset (never null)."""
    return go_time(value) or GO_ZERO_TIME


def omit_empty(data: dict, *names: str) -> dict:
    """Drop the `omitempty` fields `names` whose value is empty, as Go does; returns `data`."""
    for name in names:
        if name in data and data[name] in _EMPTY:
            del data[name]
    return data


class GoTimeField(serializers.DateTimeField):
    """A DRF field for a `time.Time`: renders Go's zero time instead of null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return go_time_value(value)

    def get_attribute(self, instance):
        # DRF skips to_representation for None; a Go time.Time has no None.
        value = super().get_attribute(instance)
        return value if value is not None else ""
