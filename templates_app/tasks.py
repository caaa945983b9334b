"""Celery tasks of provisioning: run a job (by id), reap stuck jobs; worker registration hooks."""
from __future__ import annotations

import os

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown

from templates_app.jobs import daemon as daemons
from templates_app.jobs import reaper, runner

_heartbeat: daemons.DaemonHeartbeat | None = None


@shared_task(name="provisioner.run_job", bind=True, acks_late=True, ignore_result=True)
def run_job(self, job_id: str) -> None:
    runner.run(job_id, worker_name=self.request.hostname or "")


@shared_task(name="provisioner.reap", ignore_result=True)
def reap_jobs() -> None:
    reaper.reap()


def _is_provisioner_worker() -> bool:
    return os.environ.get("CODER_PROVISIONER_DAEMON") == "1"


@worker_ready.connect
def _register_daemon(sender=None, **kwargs):
    global _heartbeat
    if not _is_provisioner_worker():
        return
    name = sender.hostname
    daemons.register(name, daemons.configured_tags())
    _heartbeat = daemons.DaemonHeartbeat(name)
    _heartbeat.start()


@worker_shutdown.connect
def _stop_heartbeat(sender=None, **kwargs):
    if _heartbeat is not None:
        _heartbeat.stopped.set()
