"""Coder's WorkspaceBuild JSON and the derived workspace status.

`builds_json(builds)` renders a list at a constant query count: rows come from
`builds_queryset()` (everything joined or prefetched) and queue positions and provisioner
daemons are fetched once for the whole list.
"""
from __future__ import annotations

from django.utils import timezone

from templates_app.api.serializers.jobs import NOT_QUEUED, job_metadata, provisioner_job_json, queue_info
from templates_app.api.serializers.versions import daemon_rows, matched_provisioners
from workspaces.models import WorkspaceBuild

from .agents import resource_json

RESOURCE_PREFETCH = ("resources__metadata", "resources__agents__apps", "resources__agents__scripts")

# codersdk.WorkspaceStatus from (job status, transition), as coderd's convertWorkspaceStatus.
_RUNNING = {"start": "starting", "stop": "stopping", "delete": "deleting"}
_SUCCEEDED = {"start": "running", "stop": "stopped", "delete": "deleted"}


def workspace_status(job_status: str, transition: str) -> str:
    if job_status == "pending":
        return "pending"
    if job_status == "running":
        return _RUNNING.get(transition, "failed")
    if job_status == "succeeded":
        return _SUCCEEDED.get(transition, "failed")
    if job_status in ("canceling", "canceled"):
        return job_status
    return "failed"


def builds_queryset():
    return (WorkspaceBuild.objects.select_related("workspace__owner", "workspace__template", "template_version",
                                                  "initiator", "job")
            .prefetch_related(*RESOURCE_PREFETCH))


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def build_json(build, workspace=None, queue=None, daemon_list=None, now=None) -> dict:
    workspace = workspace or build.workspace
    job = build.job
    if queue is None:
        queue = queue_info([job]).get(job.id, NOT_QUEUED)
    if daemon_list is None:
        daemon_list = daemon_rows()
    owner, version, initiator = workspace.owner, build.template_version, build.initiator
    metadata = job_metadata(job, version, workspace.template)
    metadata.update(workspace_id=str(workspace.id), workspace_name=workspace.name)
    now = now or timezone.now()
    return {
        "id": str(build.id),
        "created_at": _time(build.created_at),
        "updated_at": _time(build.updated_at),
        "workspace_id": str(workspace.id),
        "workspace_name": workspace.name,
        "workspace_owner_id": str(owner.id),
        "workspace_owner_name": owner.username,
        "workspace_owner_avatar_url": owner.avatar_url,
        "template_version_id": str(version.id),
        "template_version_name": version.name,
        "build_number": build.build_number,
        "transition": build.transition,
        "initiator_id": str(initiator.id) if initiator else "00000000-0000-0000-0000-000000000000",
        "initiator_name": initiator.username if initiator else "",
        "job": provisioner_job_json(job, queue=queue, metadata=metadata),
        "reason": build.reason,
        "resources": [resource_json(r, workspace, now) for r in build.resources.all()],
        "deadline": _time(build.deadline),
        "max_deadline": _time(build.max_deadline),
        "status": workspace_status(job.status, build.transition),
        "daily_cost": build.daily_cost,
        "matched_provisioners": matched_provisioners(job, daemon_list, now),
        "template_version_preset_id": None,
        "has_ai_task": False,
    }


def builds_json(builds, workspace=None) -> list[dict]:
    builds = list(builds)
    queues = queue_info([b.job for b in builds])
    daemon_list = daemon_rows() if builds else []
    now = timezone.now()
    return [build_json(b, workspace, queues.get(b.job_id, NOT_QUEUED), daemon_list, now) for b in builds]
