"""Planned resources (from an import or dry-run) rendered in Coder's WorkspaceResource shape.

Stored as JSON on the version / job: they describe what a build *would* create, so they
have no rows of their own. Sensitive metadata values are never stored.
"""
from __future__ import annotations

import uuid

from django.utils import timezone


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _agent_json(agent, resource_id: str) -> dict:
    return {
        "id": agent.id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{resource_id}/{agent.name}")),
        "name": agent.name, "resource_id": resource_id, "status": "connecting", "lifecycle_state": "created",
        "operating_system": agent.os, "architecture": agent.arch, "directory": agent.dir,
        "environment_variables": {}, "connection_timeout_seconds": agent.connection_timeout,
        "troubleshooting_url": agent.troubleshooting_url, "startup_script_behavior": agent.startup_script_behavior,
        "display_apps": [name for name, on in (agent.display_apps.to_dict() if hasattr(agent.display_apps, "to_dict")
                                               else vars(agent.display_apps)).items() if on],
        "apps": [{"slug": a.slug, "display_name": a.display_name, "url": a.url, "command": a.command,
                  "icon": a.icon, "subdomain": a.subdomain, "sharing_level": a.share, "external": a.external,
                  "hidden": a.hidden, "open_in": a.open_in,
                  "health": "initializing" if a.healthcheck else "disabled"}
                 for a in agent.apps],
        "scripts": [{"display_name": s.display_name, "cron": s.cron, "run_on_start": s.run_on_start,
                     "run_on_stop": s.run_on_stop, "start_blocks_login": s.start_blocks_login,
                     "timeout": s.timeout, "log_path": s.log_path} for s in agent.scripts],
    }


def resources_json(job, transition: str, resources) -> list[dict]:
    now = _iso(timezone.now())
    out = []
    for resource in resources or []:
        resource_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{job.pk}/{transition}/{resource.address}"))
        out.append({
            "id": resource_id, "created_at": now, "job_id": str(job.pk), "workspace_transition": transition,
            "type": resource.type, "name": resource.name, "hide": resource.hide, "icon": resource.icon,
            "agents": [_agent_json(a, resource_id) for a in resource.agents],
            "metadata": [{"key": m.key, "value": "" if m.sensitive else (m.value or ""), "sensitive": m.sensitive}
                         for m in resource.metadata],
            "daily_cost": resource.daily_cost,
        })
    return out
