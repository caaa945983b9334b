"""Log record renderings: human (Coder's console style), JSON lines, Stackdriver JSON lines.

Every format carries the time (RFC 3339 with nanoseconds, UTC), level, logger name, message,
the context fields (request id, user id, trace and span ids) and every field a caller passed
with `extra=` — at the top level of JSON objects, as `key=value` on human lines.
"""
from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from coderportal.logfmt import render_value

# Attributes every LogRecord has: anything else on a record came from `extra=` (or a filter).
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "time_ns", "taskName"}
CONTEXT = ("request_id", "user_id", "trace_id", "span_id")


def rfc3339_ns(time_ns: int) -> str:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def _time_ns(record: logging.LogRecord) -> int:
    return getattr(record, "time_ns", None) or int(record.created * 1_000_000_000)


_PLAIN = (str, int, float, bool, type(None), dict, list, tuple)


def extra_fields(record: logging.LogRecord) -> dict:
    # Only data: objects some libraries attach (Django's `request`, whose repr holds the URL and
    # so any token in its query string) are not fields.
    return {k: v for k, v in vars(record).items()
            if k not in _STANDARD and k not in CONTEXT and not k.startswith("_") and isinstance(v, _PLAIN)}


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, every field at the top level."""

    def fields(self, record: logging.LogRecord) -> dict:
        out = {"ts": rfc3339_ns(_time_ns(record)), "level": record.levelname, "logger": record.name,
               "msg": record.getMessage(), "pid": os.getpid()}
        for name in CONTEXT:
            value = getattr(record, name, "")
            if value:
                out[name] = value
        for key, value in extra_fields(record).items():
            out.setdefault(key, _jsonable(value))  # the fixed fields above keep their meaning
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        elif record.stack_info:
            out["stack"] = record.stack_info
        return out

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), ensure_ascii=False, default=str)


class StackdriverFormatter(JsonFormatter):
    """Google Cloud Logging's structured format (the field names its agent understands)."""

    def fields(self, record: logging.LogRecord) -> dict:
        out = super().fields(record)
        out["severity"] = {"WARNING": "WARNING", "CRITICAL": "CRITICAL"}.get(record.levelname, record.levelname)
        out["message"] = out.pop("msg")
        out["timestamp"] = out.pop("ts")
        if out.get("trace_id"):
            out["logging.googleapis.com/trace"] = out["trace_id"]
        if out.get("span_id"):
            out["logging.googleapis.com/spanId"] = out["span_id"]
        out["logging.googleapis.com/sourceLocation"] = {"file": record.pathname, "line": record.lineno,
                                                        "function": record.funcName}
        return out


class HumanFormatter(logging.Formatter):
    """`<time> [level] <logger>: <message>  key=value ...`, like Coder's console sink."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{rfc3339_ns(_time_ns(record))} [{record.levelname.lower()[:4]}] {record.name}: {record.getMessage()}"
        fields = extra_fields(record)
        # A structured record that carries its own trace and span (AI Bridge's, as Coder's
        # aibridgedserver lines) shows exactly its fields, in their order; others get the context.
        if {"trace", "span"} <= fields.keys():
            shown = " ".join(f"{k}={render_value(v)}" for k, v in fields.items())
        else:
            pairs = {name: getattr(record, name, "") for name in CONTEXT}
            pairs.update(fields)
            shown = " ".join(f"{k}={render_value(v)}" for k, v in pairs.items() if v not in ("", None))
        if shown:
            line += "  " + shown
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
