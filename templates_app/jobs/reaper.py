"""The job reaper: fails running jobs whose worker stopped reporting, and pending jobs that
no live provisioner can take. Each reaped job is finished through its handler, so whatever
Terraform state was checkpointed is kept."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from coderportal import config
from templates_app.jobs import daemon as daemons
from templates_app.jobs import handlers, queues, runner
from templates_app.jobs.handlers import Outcome
from templates_app.models import JobStatus, ProvisionerJob

log = logging.getLogger(__name__)


def _seconds(option: str) -> timedelta:
    return config.get_duration(option)


def reap(now=None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"hung": 0, "unmatched": 0}
    hung = ProvisionerJob.objects.filter(status__in=[JobStatus.RUNNING, JobStatus.CANCELING],
                                         updated_at__lt=now - _seconds("CODER_PROVISIONER_HANG_TIMEOUT"))
    for job in hung:
        outcome = Outcome(status=handlers.FAILED, error_code="HUNG_JOB",
                          error="Build was hung: its provisioner stopped reporting and the job was failed.")
        runner.finish(job, handlers.handler_for(job.type), outcome)
        counts["hung"] += 1
        log.warning("reaped hung job %s", job.pk)
    stale = ProvisionerJob.objects.filter(status=JobStatus.PENDING,
                                          created_at__lt=now - _seconds("CODER_PROVISIONER_PENDING_TIMEOUT"))
    live_tags = [d.tags for d in daemons.live_daemons(now)]
    for job in stale:
        if any(queues.daemon_matches(tags, job.tags) for tags in live_tags):
            continue  # someone can take it: it is merely queued
        updated = ProvisionerJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
            status=JobStatus.FAILED, completed_at=now, error_code="NO_PROVISIONER",
            error=f"No provisioner daemon matching tags {queues.normalize_tags(job.tags)} picked up this job.")
        if updated:
            handlers.handler_for(job.type).persist(job, Outcome(status=handlers.FAILED))
            counts["unmatched"] += 1
    return counts
