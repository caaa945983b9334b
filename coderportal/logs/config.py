"""The `LOGGING` setting from CODER_LOG_HUMAN / CODER_LOG_JSON / CODER_LOG_STACKDRIVER / CODER_VERBOSE.

Each sink is a path: `/dev/stderr` and `/dev/stdout` are the process's streams, anything else
a file opened for appending (WatchedFileHandler, so logrotate may move it). Several processes
append whole lines to the same file, which O_APPEND keeps intact. The loggers of uvicorn and
Celery propagate to the root logger, so their lines go through the same sinks and formats.
"""
from __future__ import annotations

import logging.config

from coderportal.logs.context import install_record_factory

FORMATTERS = {"human": "coderportal.logs.formatters.HumanFormatter",
              "json": "coderportal.logs.formatters.JsonFormatter",
              "stackdriver": "coderportal.logs.formatters.StackdriverFormatter"}


def _handler(path: str, formatter: str) -> dict:
    base = {"formatter": formatter, "filters": ["context", "redact_secrets"]}
    if path in ("/dev/stderr", "/dev/stdout"):
        return {**base, "class": "logging.StreamHandler", "stream": f"ext://sys.{path.removeprefix('/dev/')}"}
    return {**base, "class": "logging.handlers.WatchedFileHandler", "filename": path, "encoding": "utf-8"}


def build(*, human: str, json: str, stackdriver: str, verbose: bool, level: str) -> dict:
    sinks = {"human": human, "json": json, "stackdriver": stackdriver}
    handlers = {name: _handler(path, name) for name, path in sinks.items() if path}
    root_level = "DEBUG" if verbose else level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "coderportal.logs.context.ContextFilter"},
                    # Tokens in URLs (?coder_session_token=...) never reach a sink.
                    "redact_secrets": {"()": "coderportal.logredact.RedactSecrets"}},
        "formatters": {name: {"()": cls} for name, cls in FORMATTERS.items() if name in handlers},
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": root_level},
        "loggers": {
            # SQL of every query only with --verbose.
            "django.db.backends": {"level": "DEBUG" if verbose else "INFO"},
            # uvicorn configured its own handlers before Django started: route them to ours.
            **{name: {"handlers": [], "propagate": True}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task")},
        },
    }


def configure(settings_logging: dict) -> None:
    """Django's LOGGING_CONFIG callable: nanosecond timestamps on records, then the dict config."""
    install_record_factory()
    logging.config.dictConfig(settings_logging)
