"""Command-line flags of `serve`: every `coderportal.config` Option with a flag, plus serve-only knobs.

A flag is only another way to set its environment variable. Settings are read when Django
imports them, so `serve` turns flags into environment variables and re-executes itself when
they change anything (see `management/commands/serve.py`); children inherit the environment.
"""
from __future__ import annotations

import argparse
import os

from coderportal import config
from coderportal.config import Option
from coderportal.config_types import BOOL, DURATION, INT

# Knobs of the process tree itself; they never reach settings.py.
SERVE_OPTIONS: list[Option] = [
    Option("CODER_WEB_WORKERS", "1",
           "Number of web server processes (uvicorn workers); more than 1 needs Redis (CODER_REDIS_URL).",
           flag="--web-workers", kind=INT),
    Option("CODER_SCHEDULER_ENABLE", "true",
           "Run the scheduler (celery beat) in this process tree; enable it on exactly one replica.",
           flag="--scheduler", kind=BOOL),
    Option("CODER_SHUTDOWN_GRACE_PERIOD", "30s",
           "How long children may take to stop after SIGTERM before they are killed.", flag="--shutdown-grace-period",
           kind=DURATION),
]


def all_options() -> list[Option]:
    """Options `serve` accepts as flags, in the order of the configuration reference."""
    return [o for o in config.OPTIONS.values() if o.flag] + SERVE_OPTIONS


def serve_option(env: str):
    """Typed value of a serve-only option (environment, else default); ConfigError when malformed."""
    return next(o for o in SERVE_OPTIONS if o.env == env).typed


def add_flags(parser: argparse.ArgumentParser) -> None:
    for option in all_options():
        shown = "(secret)" if option.secret else (option.default or '""')
        parser.add_argument(option.flag, dest=option.env, default=None, metavar=option.env,
                            help=f"{option.description} Env {option.env}; default {shown}.")


def env_overrides(parsed: dict) -> dict[str, str]:
    """Environment variables set by the flags given on the command line."""
    return {o.env: str(parsed[o.env]) for o in all_options() if parsed.get(o.env) is not None}


def changed_environment(parsed: dict) -> dict[str, str]:
    """The flag-derived variables that differ from the current environment."""
    return {k: v for k, v in env_overrides(parsed).items() if os.environ.get(k) != v}
