"""Carries the log context into Celery tasks: a task sent while handling a request logs with
that request's id, user and trace id (message headers), plus its own span and task name."""
from __future__ import annotations

from celery.signals import before_task_publish, task_postrun, task_prerun

from coderportal.logs import context

_HEADERS = ("request_id", "trace_id", "user_id")
_tokens: dict[str, list] = {}


@before_task_publish.connect
def _add_headers(headers=None, **kwargs):
    if headers is None:
        return
    values = {"request_id": context.request_id.get(), "trace_id": context.trace_id.get(),
              "user_id": context.current_user_id()}
    for name in _HEADERS:
        if values[name] and name not in headers:
            headers[name] = values[name]


@task_prerun.connect
def _bind(task_id=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    trace = getattr(request, "trace_id", None) or context.new_trace()[0]
    _tokens[task_id] = context.bind(request_id_value=getattr(request, "request_id", None) or task_id or "",
                                    trace=trace, span=context.new_trace()[1])
    context.task_user_id.set(getattr(request, "user_id", None) or "")


@task_postrun.connect
def _unbind(task_id=None, **kwargs):
    tokens = _tokens.pop(task_id, None)
    if tokens is not None:
        context.unbind(tokens)
    context.task_user_id.set("")
