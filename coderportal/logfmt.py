"""Human log lines with structured fields: `message  key=value  key=value`.

Code attaches fields to a log record with `extra={...}`; this formatter appends them after
the message, in the order given, as Coder's human logs do (strings quoted only when needed,
objects as compact JSON). The fields stay plain attributes of the record, so a JSON
formatter can put them at the top level of each line instead.
"""
from __future__ import annotations

import json
import logging

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_NEEDS_QUOTES = set(' "=:\\\t\n\r')


_PLAIN = (str, int, float, bool, type(None), dict, list, tuple)


def extra_fields(record: logging.LogRecord) -> dict:
    # Only data: objects some libraries attach (Django's `request`) are not fields.
    return {k: v for k, v in vars(record).items()
            if k not in _STANDARD and not k.startswith("_") and isinstance(v, _PLAIN)}


def render_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    text = str(value)
    if text == "" or any(ch in _NEEDS_QUOTES or not ch.isprintable() for ch in text):
        return json.dumps(text)
    return text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = extra_fields(record)
        if not fields:
            return line
        return line + "  " + "  ".join(f"{key}={render_value(value)}" for key, value in fields.items())
