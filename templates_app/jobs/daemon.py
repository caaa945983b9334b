"""Provisioner daemons: a worker process registers under its name and tags, then heartbeats.

Status is derived, as in Coder: busy (running a job), idle (seen recently), offline.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from coderportal import config
from coderportal.version import VERSION
from templates_app.jobs import queues
from templates_app.models import ProvisionerDaemon

log = logging.getLogger(__name__)


def offline_after() -> timedelta:
    return config.get_duration("CODER_PROVISIONER_DAEMON_OFFLINE_AFTER")


def configured_tags() -> dict[str, str]:
    return config.value("CODER_PROVISIONER_TAGS")


def register(name: str, tags: dict | None = None, organization=None) -> ProvisionerDaemon:
    daemon, _ = ProvisionerDaemon.objects.update_or_create(
        name=name, defaults={"tags": queues.normalize_tags(tags), "provisioners": ["terraform"], "version": VERSION,
                             "organization": organization, "last_seen_at": timezone.now(), "current_job": None})
    return daemon


def status_of(daemon: ProvisionerDaemon, now=None) -> str:
    now = now or timezone.now()
    if daemon.last_seen_at is None or now - daemon.last_seen_at > offline_after():
        return "offline"
    return "busy" if daemon.current_job_id else "idle"


def live_daemons(now=None):
    now = now or timezone.now()
    return ProvisionerDaemon.objects.filter(last_seen_at__gte=now - offline_after())


class DaemonHeartbeat(threading.Thread):
    """Runs in the worker's main process: keeps `last_seen_at` fresh while the worker lives."""

    def __init__(self, name: str, interval: float = 10.0):
        super().__init__(name="provisioner-daemon-heartbeat", daemon=True)
        self.daemon_name, self.interval = name, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    ProvisionerDaemon.objects.filter(name=self.daemon_name).update(last_seen_at=timezone.now())
                except Exception:
                    log.exception("provisioner daemon heartbeat failed")
        finally:
            connection.close()
