"""Coder's WorkspaceResource, WorkspaceAgent and WorkspaceApp JSON.

Pure functions over rows whose related sets were prefetched (see
`workspaces.api.serializers.builds.RESOURCE_PREFETCH`), so lists cost no extra queries.
Agent status follows codersdk: never connected → connecting (or timeout after the
connection timeout); disconnected after a disconnect or a long silence; else connected.
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from coderportal.api.encoding import omit_empty

# Coder's default --agent-inactive-disconnect-timeout.
INACTIVE_DISCONNECT = timedelta(seconds=30)
UNHEALTHY_LIFECYCLE = {"start_timeout": "agent startup script took too long",
                       "start_error": "agent startup script exited with an error",
                       "shutdown_timeout": "agent is taking too long to shut down",
                       "shutdown_error": "agent shutdown script exited with an error"}


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def agent_status(agent, now=None) -> str:
    now = now or timezone.now()
    if agent.first_connected_at is None:
        timeout = agent.connection_timeout_seconds or 0
        if timeout > 0 and now - agent.created_at > timedelta(seconds=timeout):
            return "timeout"
        return "connecting"
    if agent.disconnected_at and (agent.last_connected_at is None or agent.disconnected_at > agent.last_connected_at):
        return "disconnected"
    if agent.last_connected_at is None or now - agent.last_connected_at > INACTIVE_DISCONNECT:
        return "disconnected"
    return "connected"


def agent_health(agent, status: str) -> dict:
    reason = ""
    if status == "disconnected":
        reason = "agent has lost connection"
    elif status == "timeout":
        reason = "agent is taking too long to connect"
    elif agent.lifecycle_state in UNHEALTHY_LIFECYCLE:
        reason = UNHEALTHY_LIFECYCLE[agent.lifecycle_state]
    return {"healthy": not reason, "reason": reason} if reason else {"healthy": True}


def app_json(app, agent, workspace=None) -> dict:
    subdomain_name = ""
    if app.subdomain and workspace is not None:
        subdomain_name = f"{app.slug}--{agent.name}--{workspace.name}--{workspace.owner.username}"
    return omit_empty({
        "id": str(app.id), "url": app.url, "external": app.external, "slug": app.slug,
        "display_name": app.display_name, "command": app.command, "icon": app.icon,
        "subdomain": app.subdomain, "subdomain_name": subdomain_name, "sharing_level": app.sharing_level,
        "healthcheck": {"url": app.healthcheck_url, "interval": app.healthcheck_interval,
                        "threshold": app.healthcheck_threshold},
        "health": app.health, "group": "", "hidden": app.hidden, "open_in": app.open_in, "statuses": [],
    }, "url", "display_name", "command", "icon", "subdomain_name", "group")


def script_json(script) -> dict:
    return {
        "id": str(script.id), "log_source_id": str(script.id), "log_path": script.log_path,
        "script": script.script, "cron": script.cron, "run_on_start": script.run_on_start,
        "run_on_stop": script.run_on_stop, "start_blocks_login": script.start_blocks_login,
        "timeout": script.timeout_seconds * 1_000_000_000, "display_name": script.display_name,
    }


def agent_json(agent, workspace=None, now=None) -> dict:
    status = agent_status(agent, now)
    scripts = list(agent.scripts.all())
    return omit_empty({
        "id": str(agent.id), "parent_id": None,
        "created_at": _time(agent.created_at), "updated_at": _time(agent.updated_at),
        "first_connected_at": _time(agent.first_connected_at), "last_connected_at": _time(agent.last_connected_at),
        "disconnected_at": _time(agent.disconnected_at), "started_at": _time(agent.started_at),
        "ready_at": _time(agent.ready_at), "status": status, "lifecycle_state": agent.lifecycle_state,
        "name": agent.name, "resource_id": str(agent.resource_id), "instance_id": agent.instance_id,
        "architecture": agent.architecture, "environment_variables": dict(agent.environment_variables or {}),
        "operating_system": agent.operating_system, "logs_length": agent.logs_length,
        "logs_overflowed": agent.logs_overflowed, "directory": agent.directory,
        "expanded_directory": agent.expanded_directory, "version": agent.version, "api_version": agent.api_version,
        "apps": [app_json(a, agent, workspace) for a in agent.apps.all()],
        "latency": {}, "connection_timeout_seconds": agent.connection_timeout_seconds,
        "troubleshooting_url": agent.troubleshooting_url, "subsystems": [],
        "health": agent_health(agent, status), "display_apps": list(agent.display_apps or []),
        "log_sources": [{"id": s["id"], "workspace_agent_id": str(agent.id), "created_at": _time(agent.created_at),
                         "display_name": s["display_name"], "icon": ""} for s in map(script_json, scripts)],
        "scripts": [script_json(s) for s in scripts],
        "startup_script_behavior": agent.startup_script_behavior,
    }, "first_connected_at", "last_connected_at", "disconnected_at", "started_at", "ready_at", "instance_id",
        "directory", "expanded_directory", "latency")


def metadata_json(item) -> dict:
    # Sensitive values never leave the server, as in Coder.
    return {"key": item.key, "value": "" if item.sensitive else item.value, "sensitive": item.sensitive}


def resource_json(resource, workspace=None, now=None) -> dict:
    return omit_empty({
        "id": str(resource.id), "created_at": _time(resource.created_at), "job_id": str(resource.job_id),
        "workspace_transition": resource.transition, "type": resource.type, "name": resource.name,
        "hide": resource.hide, "icon": resource.icon,
        "agents": [agent_json(a, workspace, now) for a in resource.agents.all()],
        "metadata": [metadata_json(m) for m in resource.metadata.all()],
        "daily_cost": resource.daily_cost,
    }, "agents", "metadata")
