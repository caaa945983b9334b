"""Plumbing tasks: `ping` proves that a task sent by one process runs in a worker process."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from celery import shared_task
from django.conf import settings


def ping_file(token: str) -> Path:
    return Path(settings.DATA_DIR) / "pings" / f"{token}.json"


@shared_task(name="coderportal.ping")
def ping(token: str) -> dict:
    """Write `<data dir>/pings/<token>.json` naming the worker that ran it."""
    if not token.isalnum():
        raise ValueError("token must be alphanumeric")
    result = {"token": token, "hostname": socket.gethostname(), "pid": os.getpid()}
    path = ping_file(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".tmp").write_text(json.dumps(result))
    path.with_suffix(".tmp").replace(path)  # atomic: readers never see half a file
    return result


@shared_task(name="coderportal.health.beat")
def record_beat() -> None:
    """Scheduled: tells the health report that the scheduler runs."""
    from coderportal.health import beat

    beat.record()
