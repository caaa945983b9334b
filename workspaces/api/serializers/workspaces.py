"""Coder's Workspace JSON (with its latest build) and the list queryset.

`workspaces_queryset()` joins or prefetches everything `workspace_json` reads, so a page of
workspaces costs the same number of queries whatever its size; `workspaces_json` fetches
queue positions and provisioner daemons once per page.
"""
from __future__ import annotations

from django.utils import timezone

from coderportal.api.encoding import omit_empty
from templates_app.api.serializers.jobs import NOT_QUEUED, queue_info
from templates_app.api.serializers.versions import daemon_rows
from workspaces.models import Workspace

from .agents import agent_health, agent_status
from .builds import RESOURCE_PREFETCH, build_json


def workspaces_queryset():
    return (Workspace.objects.select_related("owner", "organization", "template", "latest_build__job",
                                             "latest_build__template_version", "latest_build__initiator")
            .prefetch_related(*(f"latest_build__{p}" for p in RESOURCE_PREFETCH)))


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def health_json(build, now=None) -> dict:
    failing = []
    if build is not None:
        for resource in build.resources.all():
            for agent in resource.agents.all():
                if not agent_health(agent, agent_status(agent, now))["healthy"]:
                    failing.append(str(agent.id))
    return {"healthy": not failing, "failing_agents": failing}


def workspace_json(workspace, requester_id=None, queue=None, daemon_list=None, now=None) -> dict:
    template, owner, org, build = workspace.template, workspace.owner, workspace.organization, workspace.latest_build
    now = now or timezone.now()
    return omit_empty({
        "id": str(workspace.id),
        "created_at": _time(workspace.created_at),
        "updated_at": _time(workspace.updated_at),
        "owner_id": str(owner.id),
        "owner_name": owner.username,
        "owner_avatar_url": owner.avatar_url,
        "organization_id": str(org.id),
        "organization_name": org.name,
        "template_id": str(template.id),
        "template_name": template.name,
        "template_display_name": template.display_name,
        "template_icon": template.icon,
        "template_allow_user_cancel_workspace_jobs": template.allow_user_cancel_workspace_jobs,
        "template_active_version_id": str(template.active_version_id) if template.active_version_id else None,
        "template_require_active_version": template.require_active_version,
        "latest_build": build_json(build, workspace, queue, daemon_list, now) if build else None,
        "latest_app_status": None,
        "outdated": bool(build and build.template_version_id != template.active_version_id),
        "name": workspace.name,
        "autostart_schedule": workspace.autostart_schedule or None,
        "ttl_ms": workspace.ttl_ms,
        "last_used_at": _time(workspace.last_used_at or workspace.created_at),
        "deleting_at": _time(workspace.deleting_at),
        "dormant_at": _time(workspace.dormant_at),
        "health": health_json(build, now),
        "automatic_updates": workspace.automatic_updates,
        "allow_renames": True,
        # Coder keeps favorites for the owner only; others always see false.
        "favorite": bool(workspace.favorite and requester_id is not None
                         and str(requester_id) == str(workspace.owner_id)),
        "next_start_at": _time(workspace.next_start_at),
        # Beyond Coder: which kind of session last pushed the deadline out, i.e. why it still runs.
        "last_activity_bump": ({"source": workspace.last_bump_source, "at": _time(workspace.last_bump_at)}
                               if workspace.last_bump_source else None),
        "is_prebuild": False,
        "task_id": None,
    }, "autostart_schedule", "ttl_ms")


def workspaces_json(workspaces, requester_id=None) -> list[dict]:
    workspaces = list(workspaces)
    jobs = [w.latest_build.job for w in workspaces if w.latest_build_id]
    queues = queue_info(jobs)
    daemon_list = daemon_rows() if jobs else []
    now = timezone.now()
    return [workspace_json(w, requester_id,
                           queues.get(w.latest_build.job_id, NOT_QUEUED) if w.latest_build_id else None,
                           daemon_list, now) for w in workspaces]
