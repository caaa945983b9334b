"""Provisioner jobs as a service: creating and enqueueing them, canceling, queue facts."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from templates_app.jobs import daemon as daemons
from templates_app.jobs import queues
from templates_app.models import JobStatus, ProvisionerJob


def create_job(*, organization, initiator, job_type: str, file, tags: dict | None = None,
               input: dict | None = None) -> ProvisionerJob:
    """Create a pending job and enqueue it when the surrounding transaction commits."""
    tags = queues.normalize_tags(tags)
    job = ProvisionerJob.objects.create(organization=organization, initiator=initiator, type=job_type, file=file,
                                        tags=tags, queue=queues.queue_for_tags(tags), input=input or {})
    transaction.on_commit(lambda: enqueue(job))
    return job


def enqueue(job: ProvisionerJob) -> None:
    from templates_app.tasks import run_job

    run_job.apply_async(args=[str(job.pk)], queue=job.queue)


def cancel_job(job: ProvisionerJob, *, actor: Actor, resource_type: str, target: str) -> ProvisionerJob:
    """Pending jobs end at once; running ones become `canceling` until the runner stops Terraform."""
    with transaction.atomic():
        job = ProvisionerJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (JobStatus.PENDING, JobStatus.RUNNING):
            raise ValidationFailed("Job cannot be canceled.", {"status": f"Job is already {job.status}."})
        now = timezone.now()
        job.canceled_at = now
        if job.status == JobStatus.PENDING:
            job.status, job.completed_at, job.error = JobStatus.CANCELED, now, "Canceled before it started."
            from templates_app.jobs import handlers

            handlers.handler_for(job.type).persist(job, handlers.Outcome(status=handlers.CANCELED))
        else:
            job.status = JobStatus.CANCELING
        job.save(update_fields=["status", "canceled_at", "completed_at", "error", "updated_at"])
        audit.record(actor, "write", resource_type, resource_id=job.pk, target=target,
                     organization=job.organization, description="cancel job")
    return job


def matched_provisioners(tags: dict | None) -> dict:
    """How many live provisioners could take a job with these tags (Coder's MatchedProvisioners):
    a pending job with `count == 0` waits because no worker matches its tags."""
    matching = [d for d in daemons.live_daemons() if queues.daemon_matches(d.tags, tags)]
    seen = max((d.last_seen_at for d in matching), default=None)
    return {"count": len(matching), "available": sum(1 for d in matching if not d.current_job_id),
            "most_recently_seen": seen.isoformat().replace("+00:00", "Z") if seen else None}


def readable_jobs(subject, queryset=None):
    return rbac.filter_queryset(subject, "read", queryset if queryset is not None else ProvisionerJob.objects.all())
