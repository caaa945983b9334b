"""Runs one provisioner job: claim under a row lock, execute, persist — idempotently.

A duplicate delivery finds the job no longer pending and does nothing; a crash leaves the
job `running` with a stale heartbeat, which the reaper fails. Logs are written as they are
emitted, so followers see them while Terraform still runs.
"""
from __future__ import annotations

import logging
import tempfile
import threading
import time

from django.db import connection, transaction
from django.utils import timezone

from coderportal import config
from coderportal.metrics import definitions as metrics
from templates_app.jobs import handlers
from templates_app.jobs.handlers import Outcome
from templates_app.models import JobStatus, ProvisionerDaemon, ProvisionerJob, ProvisionerJobLog

log = logging.getLogger(__name__)
REDACTED = "********"


def heartbeat_seconds() -> float:
    return config.value("CODER_PROVISIONER_HEARTBEAT_SECONDS")


def claim(job_id, worker_name: str) -> ProvisionerJob | None:
    with transaction.atomic():
        job = ProvisionerJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != JobStatus.PENDING:
            return None
        daemon = ProvisionerDaemon.objects.filter(name=worker_name).first()
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.worker = daemon
        job.save(update_fields=["status", "started_at", "worker", "updated_at"])
        if daemon is not None:
            ProvisionerDaemon.objects.filter(pk=daemon.pk).update(current_job=job, last_seen_at=timezone.now())
    return job


class LogWriter:
    """The `emit` callback: one row per line, secrets redacted, written immediately."""

    def __init__(self, job_id, secrets=()):
        self.job_id = job_id
        self.secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def __call__(self, line) -> None:
        ProvisionerJobLog.objects.create(
            job_id=self.job_id, source=getattr(line, "source", "provisioner") or "provisioner",
            level=getattr(line, "level", "info") or "info", stage=self.redact(getattr(line, "stage", "") or ""),
            output=self.redact(getattr(line, "output", "") or ""))


class CancelCheck:
    """The `should_cancel` callback: asks the database at most once per interval."""

    def __init__(self, job_id, interval: float = 0.5):
        self.job_id, self.interval = job_id, interval
        self._last, self._canceled = 0.0, False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self._canceled and now - self._last >= self.interval:
            self._last = now
            self._canceled = ProvisionerJob.objects.filter(pk=self.job_id, status=JobStatus.CANCELING).exists()
        return self._canceled


class Heartbeat(threading.Thread):
    """Touches the job (and its daemon) while it runs, and lets the handler checkpoint."""

    def __init__(self, job, handler, workdir: str):
        super().__init__(name=f"heartbeat-{job.id}", daemon=True)
        self.job, self.handler, self.workdir = job, handler, workdir
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_seconds()):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        try:
            now = timezone.now()
            ProvisionerJob.objects.filter(pk=self.job.pk, status__in=[JobStatus.RUNNING, JobStatus.CANCELING]) \
                .update(updated_at=now)
            if self.job.worker_id:
                ProvisionerDaemon.objects.filter(pk=self.job.worker_id).update(last_seen_at=now)
            self.handler.checkpoint(self.job, self.workdir)
        except Exception:  # a missed beat is not fatal; the next one retries
            log.exception("heartbeat of job %s failed", self.job.pk)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)


def run(job_id, worker_name: str = "") -> str | None:
    """Execute job `job_id` if it is still pending; returns the final status (None if skipped)."""
    # (Celery's Django fixup already recycles stale connections around each task.)
    job = claim(job_id, worker_name)
    if job is None:
        return None
    handler = handlers.handler_for(job.type)
    metrics.job_started(job)
    fields = {"job_id": str(job.pk), "job_type": job.type, "provisioner": job.input.get("provisioner", "terraform")}
    log.info("provisioner job started", extra=fields)
    started, status = time.monotonic(), JobStatus.FAILED
    try:
        with tempfile.TemporaryDirectory(prefix="coderportal-job-") as workdir:
            heartbeat = Heartbeat(job, handler, workdir)
            heartbeat.start()
            try:
                outcome = handler.run(job, workdir, LogWriter(job.pk, handler.secrets(job)), CancelCheck(job.pk))
            except Exception as exc:  # an unexpected bug must still end the job and keep its state
                log.exception("job %s crashed", job.pk)
                outcome = Outcome(status=handlers.FAILED, error=f"Internal error: {exc.__class__.__name__}: {exc}")
            finally:
                heartbeat.stop()
            status = finish(job, handler, outcome)
            return status
    finally:
        metrics.job_ended(job, status, time.monotonic() - started)
        log.info("provisioner job ended", extra={**fields, "status": status})


def finish(job, handler, outcome: Outcome) -> str:
    with transaction.atomic():
        job = ProvisionerJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (JobStatus.RUNNING, JobStatus.CANCELING):
            return job.status  # already ended (the reaper got here first)
        handler.persist(job, outcome)
        now = timezone.now()
        job.status = outcome.status
        job.error = outcome.error
        job.error_code = outcome.error_code
        job.completed_at = now
        if outcome.status == handlers.CANCELED and job.canceled_at is None:
            job.canceled_at = now
        job.save(update_fields=["status", "error", "error_code", "completed_at", "canceled_at", "updated_at"])
        if job.worker_id:
            ProvisionerDaemon.objects.filter(pk=job.worker_id).update(current_job=None, previous_job=job,
                                                                      last_seen_at=now)
    finished = getattr(handler, "finished", None)
    if finished is not None:
        try:
            finished(job)  # follow-ups (e.g. the start of a restart) see the committed outcome
        except Exception:
            log.exception("follow-up of job %s failed", job.pk)
    return job.status
