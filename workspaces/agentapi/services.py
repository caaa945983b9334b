"""What agents report, written to their rows: lifecycle, logs (with Coder's per-agent size
limit), metadata values, heartbeats (connection timestamps and listening ports), and the
manifest the agent runs from.

Agent reports are not audited (neither in Coder): they are telemetry from a machine, not
actions of a person, and a heartbeat every few seconds would drown the audit log.
"""
from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.services.errors import ValidationFailed
from workspaces.models import WorkspaceAgent, WorkspaceAgentLog, WorkspaceAgentMetadata, WorkspaceApp
from workspaces.models.agents import LifecycleState

# Coder's limit on the logs an agent may store (1 MiB); past it the agent is told to stop.
MAX_LOGS_BYTES = 1 << 20
# How often agents report (heartbeat); must stay well under the inactive-disconnect timeout.
REPORT_INTERVAL_SECONDS = 5
PORTS_CACHE_SECONDS = 60
LOG_LEVELS = {"trace", "debug", "info", "warn", "error"}
_READY_STATES = {LifecycleState.READY, LifecycleState.START_ERROR, LifecycleState.START_TIMEOUT}


class LogsOverflowed(Exception):
    """The agent's logs passed MAX_LOGS_BYTES (413)."""


def _script_json(script) -> dict:
    return {"id": str(script.id), "log_source_id": str(script.id), "log_path": script.log_path,
            "script": script.script, "cron": script.cron, "run_on_start": script.run_on_start,
            "run_on_stop": script.run_on_stop, "start_blocks_login": script.start_blocks_login,
            "timeout": script.timeout_seconds * 1_000_000_000, "display_name": script.display_name}


def manifest(agent: WorkspaceAgent) -> dict:
    """Coder's agentsdk.Manifest (the parts that apply here), plus our report interval."""
    workspace = agent.resource.build.workspace
    return {
        "agent_id": str(agent.id), "agent_name": agent.name, "owner_name": workspace.owner.username,
        "workspace_id": str(workspace.id), "workspace_name": workspace.name,
        "directory": agent.directory, "motd_file": agent.motd_file,
        "environment_variables": dict(agent.environment_variables or {}),
        "scripts": [_script_json(s) for s in agent.scripts.all()],
        "metadata": [{"key": m.key, "display_name": m.display_name, "script": m.script,
                      "interval": m.interval, "timeout": m.timeout} for m in agent.metadata.all()],
        "apps": [{"id": str(a.id), "slug": a.slug, "display_name": a.display_name, "url": a.url,
                  "command": a.command, "subdomain": a.subdomain, "sharing_level": a.sharing_level,
                  "healthcheck": {"url": a.healthcheck_url, "interval": a.healthcheck_interval,
                                  "threshold": a.healthcheck_threshold}} for a in agent.apps.all()],
        "disable_direct_connections": True, "git_auth_configs": 0, "vscode_port_proxy_uri": "",
        "report_interval_seconds": REPORT_INTERVAL_SECONDS,
    }


def report_lifecycle(agent: WorkspaceAgent, state: str, changed_at: datetime | None = None) -> None:
    if state not in LifecycleState.values:
        raise ValidationFailed("Invalid lifecycle state.", {"state": f"Unknown lifecycle state {state!r}."})
    when = changed_at or timezone.now()
    updates = {"lifecycle_state": state, "updated_at": timezone.now()}
    if state == LifecycleState.STARTING:
        updates["started_at"] = when
    if state in _READY_STATES:
        updates["ready_at"] = when
    WorkspaceAgent.objects.filter(pk=agent.pk).update(**updates)


def append_logs(agent: WorkspaceAgent, source_id, logs: list[dict]) -> None:
    """Store log lines; raises LogsOverflowed (and flags the agent) past the size limit."""
    size = sum(len(line["output"].encode()) for line in logs)
    if source_id and not agent.scripts.filter(pk=source_id).exists():
        source_id = None  # the agent's own source, or a script of an older build
    with transaction.atomic():
        row = WorkspaceAgent.objects.select_for_update().only("logs_length", "logs_overflowed").get(pk=agent.pk)
        overflowed = row.logs_overflowed or row.logs_length + size > MAX_LOGS_BYTES
        if not overflowed:
            _store_logs(agent, source_id, logs, size)
    if overflowed:
        WorkspaceAgent.objects.filter(pk=agent.pk).update(logs_overflowed=True)
        raise LogsOverflowed()


def _store_logs(agent, source_id, logs, size) -> None:
    WorkspaceAgentLog.objects.bulk_create([WorkspaceAgentLog(
        agent_id=agent.pk, source_id=source_id, created_at=line.get("created_at") or timezone.now(),
        level=line.get("level") or "info", output=line["output"]) for line in logs])
    WorkspaceAgent.objects.filter(pk=agent.pk).update(logs_length=F("logs_length") + size)


def report_metadata(agent: WorkspaceAgent, items: list[dict]) -> int:
    """Store the latest value of each known key; unknown keys are ignored. Returns rows updated."""
    updated = 0
    for item in items:
        updated += WorkspaceAgentMetadata.objects.filter(agent=agent, key=item["key"]).update(
            value=item.get("value", "")[:10240], error=item.get("error", "")[:10240],
            collected_at=item.get("collected_at") or timezone.now())
    return updated


def heartbeat(agent: WorkspaceAgent, listening_ports=None) -> None:
    now = timezone.now()
    WorkspaceAgent.objects.filter(pk=agent.pk, first_connected_at__isnull=True).update(first_connected_at=now)
    WorkspaceAgent.objects.filter(pk=agent.pk).update(last_connected_at=now)
    if listening_ports is not None:
        cache.set(ports_cache_key(agent.pk), listening_ports, PORTS_CACHE_SECONDS)


def report_startup(agent: WorkspaceAgent, version: str, api_version: str, expanded_directory: str) -> None:
    WorkspaceAgent.objects.filter(pk=agent.pk).update(version=version, api_version=api_version,
                                                      expanded_directory=expanded_directory)


APP_HEALTHS = {"initializing", "healthy", "unhealthy"}


def report_app_health(agent: WorkspaceAgent, healths: dict) -> None:
    """Set the health of the agent's apps; every app must be the agent's and have a healthcheck."""
    apps = {str(a.pk): a for a in agent.apps.all()}
    errors = {}
    for app_id, health in healths.items():
        app = apps.get(str(app_id))
        if app is None:
            errors[f"healths.{app_id}"] = "No such app on this agent."
        elif not app.healthcheck_url:
            errors[f"healths.{app_id}"] = "This app has no health check."
        elif health not in APP_HEALTHS:
            errors[f"healths.{app_id}"] = f"Health must be one of {sorted(APP_HEALTHS)}."
    if errors:
        raise ValidationFailed("Invalid app health report.", errors)
    for app_id, health in healths.items():
        WorkspaceApp.objects.filter(pk=apps[str(app_id)].pk).update(health=health)


def disconnect(agent: WorkspaceAgent) -> None:
    WorkspaceAgent.objects.filter(pk=agent.pk).update(disconnected_at=timezone.now())


def ports_cache_key(agent_id) -> str:
    return f"agent-listening-ports:{agent_id}"


def listening_ports(agent: WorkspaceAgent) -> list[dict]:
    return cache.get(ports_cache_key(agent.pk)) or []
