"""What the current request or Celery task is, for every log line it causes.

Kept in context variables, so concurrent requests on one event loop (or thread) never mix:
the request middleware and the Celery task signals set them, `ContextFilter` copies them onto
each record. A value passed explicitly through `extra=` wins.
"""
from __future__ import annotations

import contextvars
import logging
import re
import secrets
import time
import uuid

request_id = contextvars.ContextVar("request_id", default="")
trace_id = contextvars.ContextVar("trace_id", default="")
span_id = contextvars.ContextVar("span_id", default="")
_request = contextvars.ContextVar("request", default=None)
task_user_id = contextvars.ContextVar("task_user_id", default="")  # the user whose request sent the task

FIELDS = ("request_id", "user_id", "trace_id", "span_id")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
_REQUEST_ID = re.compile(r"^[0-9A-Za-z._:-]{1,128}$")


def new_trace(traceparent: str = "") -> tuple[str, str]:
    """(trace id, span id): the caller's trace when it sent a W3C `traceparent`, else a new one."""
    found = _TRACEPARENT.match(traceparent.strip().lower()) if traceparent else None
    trace = found.group(1) if found and found.group(1) != "0" * 32 else secrets.token_hex(16)
    return trace, secrets.token_hex(8)


def valid_request_id(value: str) -> str:
    """A client's X-Request-Id when it is short and plain (it is logged), else a new uuid."""
    return value if value and _REQUEST_ID.match(value) else str(uuid.uuid4())


def bind(*, request=None, request_id_value: str = "", trace: str = "", span: str = "") -> list:
    """Set the context; returns tokens for `unbind`."""
    return [_request.set(request), request_id.set(request_id_value), trace_id.set(trace), span_id.set(span)]


def unbind(tokens: list) -> None:
    for var, token in zip((_request, request_id, trace_id, span_id), tokens):
        var.reset(token)


def current_user_id() -> str:
    """The authenticated user of the current request, if authentication already ran.

    Never triggers authentication itself (a log call must not query the database, and may run
    in async code): a lazy `request.user` not yet evaluated counts as unknown.
    """
    request = _request.get()
    if request is None:
        return task_user_id.get()
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or type(wrapped).__name__ == "object":  # django.utils.functional.empty
        return ""
    return str(getattr(wrapped, "pk", "") or "") if getattr(wrapped, "is_authenticated", False) else ""


class ContextFilter(logging.Filter):
    """Adds the context fields and a nanosecond timestamp to each record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "time_ns"):
            # Nanoseconds from the record's own creation time where it carries them (the
            # record factory sets `time_ns`); otherwise from `created`.
            record.time_ns = int(record.created * 1_000_000_000)
        for name, var in (("request_id", request_id), ("trace_id", trace_id), ("span_id", span_id)):
            if not getattr(record, name, ""):
                setattr(record, name, var.get())
        if not getattr(record, "user_id", ""):
            record.user_id = current_user_id()
        return True


def install_record_factory() -> None:
    """Stamp each record with time.time_ns() when it is created (logging's own `created` is a float)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_coderportal", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.time_ns = time.time_ns()
        return record

    factory._coderportal = True
    logging.setLogRecordFactory(factory)
