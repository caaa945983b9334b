"""The lifecycle executor (Coder's `runOnce`): one tick autostarts, autostops, stops failed
workspaces, marks idle ones dormant and deletes long-dormant ones.

1. One pre-filter query lists the workspaces that may be due (`prefilter`).
2. Each is handled in its own transaction that first takes a per-workspace lock, re-reads
   everything and re-decides (eligibility.next_transition) before building through the build
   service. Several executors (replicas, or a slow tick overlapping the next) therefore never
   build one workspace twice: on PostgreSQL the lock is `SELECT … FOR UPDATE SKIP LOCKED`
   (a held lock means another executor has it: skip); on SQLite every write transaction is
   IMMEDIATE, so transactions are serialized and the re-check sees the winner's build.
3. Build jobs are enqueued when the transaction commits (the build service does that).

Time is injected: `run_once(now)` works on `now` truncated to the minute, as Coder does.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.services import audit
from accounts.services.audit import Actor
from coderportal import config
from notifications import events as notify
from templates_app.jobs import daemon as daemons
from templates_app.jobs import queues
from templates_app.models import TemplateVersion
from workspaces.lifecycle import changes, eligibility
from workspaces.lifecycle.schedule import TemplateSchedule, next_allowed_autostart, truncate_minute
from workspaces.models import Workspace, WorkspaceBuild

log = logging.getLogger(__name__)


@dataclass
class Stats:
    """What one tick did: workspace id -> transition ("" = marked dormant), or -> error."""

    transitions: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    candidates: int = 0
    elapsed: float = 0.0


def retry_policy() -> eligibility.RetryPolicy:
    return eligibility.RetryPolicy(
        retries=config.get_int("CODER_AUTOBUILD_AUTOSTART_RETRIES"),
        backoff=config.get_duration("CODER_AUTOBUILD_AUTOSTART_RETRY_BACKOFF"))


# --- 1. the pre-filter ----------------------------------------------------------------------
def _ms(name: str):
    """A template's `*_ms` column as a duration expression, in the backend's own arithmetic."""
    if connection.vendor == "postgresql":
        return ExpressionWrapper(F(name) * Value(timedelta(milliseconds=1)), output_field=DurationField())
    return ExpressionWrapper(F(name) * 1000, output_field=DurationField())  # SQLite: microseconds


def prefilter(tick: datetime):
    """One query: ids of live workspaces that may be due for some action at `tick` (a superset;
    each is re-checked under its lock). Sorted by template version, as Coder, for cache locality."""
    build = "latest_build__"
    last_used = Coalesce("last_used_at", "created_at", output_field=DateTimeField())
    due = (
        Q(**{f"{build}transition": "start", f"{build}deadline__lte": tick})                      # autostop
        | Q(**{f"{build}transition": "start", "owner__status": "suspended"})                    # suspended owner
        | (Q(**{f"{build}transition": "stop"}) & ~Q(autostart_schedule="")                      # autostart
           & (Q(next_start_at__lte=tick) | Q(next_start_at__isnull=True)))
        | Q(**{f"{build}job__status": "failed"})                                               # failure TTL, retries
        | (Q(template__time_til_dormant_ms__gt=0, dormant_at__isnull=True)                       # dormancy
           & Q(dormancy_due__lt=tick))
        | Q(template__time_til_dormant_autodelete_ms__gt=0, dormant_at__isnull=False,            # auto-delete
            deleting_at__lt=tick)
    )
    return (Workspace.objects.filter(deleted=False, latest_build__isnull=False)
            .annotate(dormancy_due=ExpressionWrapper(last_used + _ms("template__time_til_dormant_ms"),
                                                     output_field=DateTimeField()))
            .filter(due).order_by(f"{build}template_version_id", "id").values_list("id", flat=True))


# --- 2. one workspace -----------------------------------------------------------------------
def _lock(workspace_id) -> Workspace | None:
    """Lock the workspace row, then read it with its relations in a second statement: under
    READ COMMITTED a locking query with joins can see the row as just updated by another
    executor but the joined rows (its new latest build) from before, so nothing is joined to
    the lock."""
    locking = Workspace.objects.filter(pk=workspace_id, deleted=False)
    if connection.vendor == "postgresql":
        locking = locking.select_for_update(skip_locked=True)
    if not locking.values_list("pk", flat=True).first():
        return None
    return (Workspace.objects.filter(pk=workspace_id, deleted=False)
            .select_related("owner", "organization", "template", "latest_build__job").first())


def _failed_autostarts(workspace: Workspace, limit: int) -> int:
    count = 0
    rows = (WorkspaceBuild.objects.filter(workspace=workspace).order_by("-build_number")
            .values_list("reason", "job__status")[: limit + 1])
    for reason, status in rows:
        if reason != "autostart" or status != "failed":
            break
        count += 1
    return count


def snapshot(workspace: Workspace, tmpl: TemplateSchedule, retry: eligibility.RetryPolicy) -> eligibility.Snapshot:
    build = workspace.latest_build
    failed_autostarts = 0
    if build.reason == "autostart" and build.job.status == "failed" and retry.retries:
        failed_autostarts = _failed_autostarts(workspace, retry.retries)
    return eligibility.Snapshot(
        owner_status=workspace.owner.status, transition=build.transition, job_status=build.job.status,
        build_created_at=build.created_at, job_completed_at=build.job.completed_at, build_reason=build.reason,
        deadline=build.deadline, autostart_schedule=workspace.autostart_schedule, dormant_at=workspace.dormant_at,
        deleting_at=workspace.deleting_at, last_used_at=workspace.last_used_at or workspace.created_at,
        template=tmpl, failed_autostarts=failed_autostarts)


def _version_for(workspace: Workspace, transition: str, tmpl: TemplateSchedule):
    """Starts use the active version when the template requires it or the workspace auto-updates."""
    if transition == "start" and (tmpl.require_active_version or workspace.automatic_updates == "always"):
        return workspace.template.active_version_id
    return workspace.latest_build.template_version_id


def _mark_dormant(workspace: Workspace, tmpl: TemplateSchedule, now: datetime) -> None:
    autodelete = tmpl.time_til_dormant_autodelete
    deleting_at = now + autodelete if autodelete > timedelta(0) else None
    Workspace.objects.filter(pk=workspace.pk).update(dormant_at=now, deleting_at=deleting_at)
    audit.record(Actor.system(), "write", "workspace", resource_id=workspace.pk, target=workspace.name,
                 organization=workspace.organization,
                 changes=audit.diff({"dormant_at": None}, {"dormant_at": now.isoformat()}),
                 additional={"reason": "inactivity exceeded the dormancy threshold"})
    workspace.dormant_at, workspace.deleting_at = now, deleting_at
    # Coder's "Workspace Marked as Dormant", in the same transaction as the change.
    notify.workspace_dormant(workspace, reason="inactivity exceeded the dormancy threshold",
                             time_til_delete=_human(autodelete) if deleting_at else "")


def _human(duration: timedelta) -> str:
    """`7 days`, `36 hours`, `45 minutes`: what the notification says about a delay."""
    seconds = int(duration.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0 or unit == "minute":
            count = max(seconds // size, 1)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return ""


def process(workspace_id, tick: datetime, *, live_tags: list, retry: eligibility.RetryPolicy,
            stats: Stats, version_tags: dict | None = None) -> None:
    """Re-check one workspace under its lock and act. Errors land in `stats`, never raise."""
    from workspaces.services import builds

    key = str(workspace_id)
    try:
        with transaction.atomic():
            workspace = _lock(workspace_id)
            if workspace is None or workspace.latest_build_id is None:
                stats.skipped[key] = "locked"
                return
            tmpl = TemplateSchedule.of(workspace.template)
            if workspace.autostart_schedule and workspace.next_start_at is None and tmpl.user_autostart_enabled:
                workspace.next_start_at = next_allowed_autostart(tick, workspace.autostart_schedule, tmpl)
                Workspace.objects.filter(pk=workspace.pk).update(next_start_at=workspace.next_start_at)
            decision = eligibility.next_transition(snapshot(workspace, tmpl, retry), tick, retry)
            if decision is None:
                return
            transition, reason = decision
            version_id = _version_for(workspace, transition, tmpl) if transition else None
            if transition and not _provisioner_available(version_id, live_tags, version_tags):
                log.info("skipping %s of workspace %s - no available provisioners", reason, workspace.pk)
                stats.skipped[key] = "no provisioners"
                return
            if reason == "dormancy":
                _mark_dormant(workspace, tmpl, tick)
                changes.publish_on_commit(workspace.pk)
            if transition:
                builds.request_build(workspace, actor=Actor.system(), transition=transition, reason=reason,
                                     template_version_id=version_id if transition == "start" else None)
                if reason == "autodelete":
                    notify.workspace_deleted(workspace, initiator="autobuild", reason="autodeleted due to dormancy")
            stats.transitions[key] = transition
    except Exception as exc:  # one workspace's trouble never stops the tick (Coder: Stats.Errors)
        log.warning("lifecycle action on workspace %s failed: %s", workspace_id, exc)
        stats.errors[key] = str(exc) or exc.__class__.__name__



def _provisioner_available(version_id, live_tags: list, cache: dict | None = None) -> bool:
    """Whether a live daemon could take a build of this version (Coder #17941). `cache`: the
    tick's version -> tags lookups (a tick usually builds few versions, sorted together)."""
    cache = {} if cache is None else cache
    if version_id not in cache:
        cache[version_id] = TemplateVersion.objects.filter(pk=version_id).values_list("job__tags", flat=True).first()
    tags = cache[version_id]
    return any(queues.daemon_matches(daemon_tags, tags) for daemon_tags in live_tags)


# --- the tick -------------------------------------------------------------------------------
def run_once(now: datetime | None = None) -> Stats:
    started = time.monotonic()
    tick = truncate_minute(now or timezone.now())
    stats = Stats()
    ids = list(prefilter(tick))
    stats.candidates = len(ids)
    if ids:
        # Provisioner liveness is about real heartbeats, whatever tick is being evaluated.
        live_tags = [d.tags for d in daemons.live_daemons()]
        retry, version_tags = retry_policy(), {}
        for workspace_id in ids:
            process(workspace_id, tick, live_tags=live_tags, retry=retry, stats=stats, version_tags=version_tags)
    stats.elapsed = time.monotonic() - started
    if stats.transitions or stats.errors:
        log.info("lifecycle tick %s: %d candidates, %d actions, %d errors", tick.isoformat(), stats.candidates,
                 len(stats.transitions), len(stats.errors))
    return stats
