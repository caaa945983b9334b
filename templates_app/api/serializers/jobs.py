"""Coder's ProvisionerJob JSON, shared by template versions, dry-runs and workspace builds.

`provisioner_job_json(job, queue=...)` is pure when given the job's queue figures; lists
compute them for every job at once with `queue_info(jobs)` (one query), so a page of jobs
costs a constant number of queries.
"""
from __future__ import annotations

from dataclasses import dataclass

from coderportal.api.encoding import omit_empty
from templates_app.models import JobStatus, ProvisionerJob


@dataclass(frozen=True)
class QueueInfo:
    position: int = 0  # 1-based among pending jobs of the same queue; 0 when not pending
    size: int = 0      # pending jobs in that queue


NOT_QUEUED = QueueInfo()


def queue_info(jobs) -> dict:
    """{job id: QueueInfo} for `jobs`: position = pending jobs of the same queue created
    earlier + 1. One query over the pending jobs of the queues involved."""
    pending = [j for j in jobs if j.status == JobStatus.PENDING]
    if not pending:
        return {}
    queues = {j.queue for j in pending}
    by_queue: dict[str, list] = {}
    for row in (ProvisionerJob.objects.filter(status=JobStatus.PENDING, queue__in=queues)
                .order_by("created_at", "id").values("id", "queue")):
        by_queue.setdefault(row["queue"], []).append(row["id"])
    info = {}
    for job in pending:
        ids = by_queue.get(job.queue, [])
        position = ids.index(job.id) + 1 if job.id in ids else len(ids) + 1
        info[job.id] = QueueInfo(position=position, size=max(len(ids), position))
    return info


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def job_metadata(job, version=None, template=None) -> dict:
    """Coder's ProvisionerJobMetadata for a template import or dry-run job."""
    metadata = {"template_version_name": "", "template_id": "00000000-0000-0000-0000-000000000000",
                "template_name": "", "template_display_name": "", "template_icon": ""}
    if version is not None:
        metadata["template_version_name"] = version.name
    if template is not None:
        metadata.update(template_id=str(template.id), template_name=template.name,
                        template_display_name=template.display_name, template_icon=template.icon)
    return metadata


# codersdk.ProvisionerJob fields tagged `omitempty`.
JOB_OMITEMPTY = ("started_at", "completed_at", "canceled_at", "error", "error_code", "worker_id")


def provisioner_job_json(job, queue: QueueInfo | None = None, metadata: dict | None = None) -> dict:
    """Coder's ProvisionerJob. Without `queue`, a pending job's position is computed here
    (one query); pass precomputed figures in lists."""
    if queue is None:
        queue = queue_info([job]).get(job.id, NOT_QUEUED)
    job_input = job.input or {}
    return omit_empty({
        "id": str(job.id),
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "completed_at": _time(job.completed_at),
        "canceled_at": _time(job.canceled_at),
        "error": job.error or "",
        "error_code": job.error_code or "",
        "file_id": str(job.file_id),
        "worker_id": str(job.worker_id) if job.worker_id else None,
        "organization_id": str(job.organization_id),
        "initiator_id": str(job.initiator_id) if job.initiator_id else None,
        "status": job.status,
        "tags": dict(job.tags or {}),
        "type": job.type,
        "queue_position": queue.position if job.status == JobStatus.PENDING else 0,
        "queue_size": queue.size if job.status == JobStatus.PENDING else 0,
        "input": omit_empty({
            "template_version_id": job_input.get("template_version_id"),
            "workspace_build_id": job_input.get("workspace_build_id"),
        }, "template_version_id", "workspace_build_id"),
        "metadata": metadata if metadata is not None else job_metadata(job),
        "logs_overflowed": False,
    }, *JOB_OMITEMPTY)
