"""Saving what a build produced: resources with metadata, agents (token hashed), their
scripts, metadata definitions and apps — read from the provisioner's result."""
from __future__ import annotations

import hashlib

from workspaces.models import (
    WorkspaceAgent,
    WorkspaceAgentMetadata,
    WorkspaceAgentScript,
    WorkspaceApp,
    WorkspaceBuild,
    WorkspaceResource,
    WorkspaceResourceMetadata,
)


def _enabled_display_apps(display_apps) -> list[str]:
    names = ("vscode", "vscode_insiders", "web_terminal", "ssh_helper", "port_forwarding_helper")
    return [name for name in names if getattr(display_apps, name, False)]


def _save_agent(resource: WorkspaceResource, agent) -> WorkspaceAgent:
    row = WorkspaceAgent.objects.create(
        resource=resource, name=agent.name,
        auth_token_hash=hashlib.sha256((agent.token or "").encode()).hexdigest() if agent.token else "",
        operating_system=agent.os, architecture=agent.arch, directory=agent.dir or "",
        environment_variables=dict(agent.env or {}), connection_timeout_seconds=agent.connection_timeout or 0,
        troubleshooting_url=agent.troubleshooting_url or "", motd_file=agent.motd_file or "",
        startup_script_behavior=agent.startup_script_behavior or "non-blocking",
        display_apps=_enabled_display_apps(agent.display_apps), instance_id=agent.instance_id or "",
        order=agent.order or 0)
    WorkspaceAgentScript.objects.bulk_create([WorkspaceAgentScript(
        agent=row, display_name=s.display_name, script=s.script, icon=s.icon, cron=s.cron,
        run_on_start=s.run_on_start, run_on_stop=s.run_on_stop, start_blocks_login=s.start_blocks_login,
        timeout_seconds=s.timeout or 0, log_path=s.log_path or "") for s in agent.scripts])
    WorkspaceAgentMetadata.objects.bulk_create([WorkspaceAgentMetadata(
        agent=row, key=m.key, display_name=m.display_name, script=m.script, interval=m.interval or 0,
        timeout=m.timeout or 0, order=m.order or 0) for m in agent.metadata])
    WorkspaceApp.objects.bulk_create([WorkspaceApp(
        agent=row, slug=a.slug, display_name=a.display_name, url=a.url, command=a.command, icon=a.icon,
        subdomain=a.subdomain, sharing_level=a.share or "owner", external=a.external, hidden=a.hidden,
        open_in=a.open_in or "slim-window", order=a.order or 0,
        healthcheck_url=a.healthcheck.url if a.healthcheck else "",
        healthcheck_interval=a.healthcheck.interval if a.healthcheck else 0,
        healthcheck_threshold=a.healthcheck.threshold if a.healthcheck else 0,
        health="initializing" if a.healthcheck else "disabled") for a in agent.apps])
    return row


def save_resources(build: WorkspaceBuild, resources) -> int:
    """Replace the build's resources with `resources`; returns the total daily cost."""
    build.resources.all().delete()
    total = 0
    for resource in resources or []:
        row = WorkspaceResource.objects.create(
            build=build, job=build.job, transition=build.transition, type=resource.type, name=resource.name,
            address=resource.address, hide=resource.hide, icon=resource.icon or "",
            daily_cost=resource.daily_cost or 0)
        total += row.daily_cost
        WorkspaceResourceMetadata.objects.bulk_create([WorkspaceResourceMetadata(
            resource=row, key=m.key, value="" if m.is_null else (m.value or ""), sensitive=m.sensitive)
            for m in resource.metadata])
        for agent in resource.agents:
            _save_agent(row, agent)
    return total
