"""Coder's `getNextTransition`: which lifecycle action, if any, a workspace is due for.

Pure functions of a `Snapshot` (workspace, owner status, latest build and job, template
schedule) and the tick, so Coder's table tests port one to one. Order matters and is
Coder's: autostop, autostart, failure cleanup, dormancy, auto-delete.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workspaces.lifecycle.schedule import TemplateSchedule, next_allowed_autostart

# A failed auto-delete is retried once a day (Coder: FailedDeleteRetryDaily).
DELETE_RETRY = timedelta(hours=24)


@dataclass(frozen=True)
class Snapshot:
    owner_status: str
    transition: str  # of the latest build
    job_status: str  # of the latest build's job
    build_created_at: datetime
    job_completed_at: datetime | None
    build_reason: str
    deadline: datetime | None
    autostart_schedule: str
    dormant_at: datetime | None
    deleting_at: datetime | None
    last_used_at: datetime | None
    template: TemplateSchedule
    # Beyond Coder: consecutive failed autostarts ending with the latest build.
    failed_autostarts: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    """Beyond Coder (issue #2279): a failed autostart is tried again, a bounded number of
    times, each wait twice the previous one."""

    retries: int = 0
    backoff: timedelta = timedelta(minutes=5)

    def due(self, snap: Snapshot, tick: datetime) -> bool:
        if snap.build_reason != "autostart" or not 0 < snap.failed_autostarts <= self.retries:
            return False
        if snap.job_completed_at is None:
            return False
        return tick >= snap.job_completed_at + self.backoff * (2 ** (snap.failed_autostarts - 1))


def _failed(snap: Snapshot) -> bool:
    return snap.job_status == "failed"


def autostop(snap: Snapshot, tick: datetime) -> bool:
    if _failed(snap) or snap.dormant_at is not None or snap.transition != "start":
        return False
    if snap.owner_status == "suspended":
        return True  # suspended owners' workspaces stop at once (Coder PR #13790)
    return snap.deadline is not None and tick >= snap.deadline


def autostart(snap: Snapshot, tick: datetime, retry: RetryPolicy = RetryPolicy()) -> bool:
    if snap.owner_status != "active" or snap.dormant_at is not None:
        return False
    if not snap.template.user_autostart_enabled or not snap.autostart_schedule:
        return False
    if _failed(snap):
        # A failed start (or stop) blocks autostart until someone acts (Coder), except our retries.
        return snap.transition == "start" and retry.due(snap, tick)
    if snap.transition != "stop":
        return False
    # Measured from the last build, so a slot missed while the server was down fires once later.
    nxt = next_allowed_autostart(snap.build_created_at, snap.autostart_schedule, snap.template)
    return nxt is not None and tick >= nxt


def failed_cleanup(snap: Snapshot, tick: datetime) -> bool:
    ttl = snap.template.failure_ttl
    return (ttl > timedelta(0) and _failed(snap) and snap.transition in ("start", "stop")
            and snap.job_completed_at is not None and tick - snap.job_completed_at > ttl)


def dormancy(snap: Snapshot, tick: datetime) -> bool:
    ttd = snap.template.time_til_dormant
    return (snap.dormant_at is None and ttd > timedelta(0) and snap.last_used_at is not None
            and tick - snap.last_used_at > ttd)


def autodelete(snap: Snapshot, tick: datetime) -> bool:
    if snap.dormant_at is None or snap.deleting_at is None:
        return False
    if snap.template.time_til_dormant_autodelete <= timedelta(0) or not tick > snap.deleting_at:
        return False
    if snap.transition == "delete" and _failed(snap):
        return snap.job_completed_at is not None and tick - snap.job_completed_at > DELETE_RETRY
    return True


def next_transition(snap: Snapshot, tick: datetime, retry: RetryPolicy = RetryPolicy()) -> tuple[str, str] | None:
    """(transition, reason) — transition "" means "mark dormant, no build" — or None."""
    if autostop(snap, tick):
        return "stop", "autostop"
    if autostart(snap, tick, retry):
        return "start", "autostart"
    if failed_cleanup(snap, tick):
        return "stop", "autostop"
    if dormancy(snap, tick):
        return ("stop" if snap.transition == "start" else ""), "dormancy"
    if autodelete(snap, tick):
        return "delete", "autodelete"
    return None
