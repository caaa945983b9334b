"""Coder's `q=` search syntax: space-separated `key:value` terms, values may be quoted."""
from __future__ import annotations

import shlex

from rest_framework import serializers


def parse_query(q: str, allowed: set[str], default_key: str | None = None) -> dict[str, str]:
    """`owner:me status:"running"` -> {"owner": "me", "status": "running"}.

    A bare word goes to `default_key` (e.g. name or username search). Unknown keys are a
    400 with a validation on `q`, as in Coder.
    """
    terms: dict[str, str] = {}
    try:
        parts = shlex.split(q or "")
    except ValueError as exc:
        raise serializers.ValidationError({"q": [f"Invalid query: {exc}"]}) from None
    for part in parts:
        key, sep, value = part.partition(":")
        if not sep:
            if default_key is None:
                raise serializers.ValidationError({"q": [f"Search term {part!r} must be key:value."]})
            key, value = default_key, part
        key = key.strip().lower()
        if key not in allowed:
            raise serializers.ValidationError({"q": [f"Query param {key!r} is not a valid query param."]})
        terms[key] = value.strip()
    return terms
