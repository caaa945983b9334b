"""Restart = stop, then — once the stop succeeded — start (as Coder clients do it).

`request_restart` queues the stop build and marks its job (`input["restart"]`) with who
asked; the marker is the whole "then start" plan, so nothing else needs storing.
`on_build_finished(build)` is the hook the build-completion path calls: when a marked stop
succeeded it queues the start (after the finishing transaction commits, when the workspace
is free again). The marker is consumed under a row lock, so a duplicate call starts once.
`resume_pending_restarts()` does the same for any finished marked stop, for a periodic task.
"""
from __future__ import annotations

import logging

from django.db import transaction

from accounts import rbac
from accounts.models import User
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from templates_app.models import JobStatus, ProvisionerJob
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.services import builds

log = logging.getLogger(__name__)
MARKER = "restart"


def request_restart(workspace: Workspace, *, actor: Actor) -> WorkspaceBuild:
    """Queue the stop of a restart; raises like `request_build`."""
    # The start will run later on this actor's behalf: refuse now if it could not.
    rbac.authorize(actor.subject, "start", workspace)
    with transaction.atomic():
        stop = builds.request_build(workspace, actor=actor, transition="stop")
        job = ProvisionerJob.objects.select_for_update().get(pk=stop.job_id)
        job.input = {**job.input, MARKER: {"initiator_id": str(actor.user.pk) if actor.user else None}}
        job.save(update_fields=["input"])
    return stop


def _take_marker(build: WorkspaceBuild) -> dict | None:
    job = ProvisionerJob.objects.select_for_update().get(pk=build.job_id)
    marker = (job.input or {}).get(MARKER)
    if marker is None:
        return None
    job.input = {k: v for k, v in job.input.items() if k != MARKER}
    job.save(update_fields=["input"])
    return marker if job.status == JobStatus.SUCCEEDED else None


def _start(build_id, marker: dict) -> WorkspaceBuild | None:
    build = WorkspaceBuild.objects.select_related("workspace").get(pk=build_id)
    user = User.objects.filter(pk=marker.get("initiator_id")).first() if marker.get("initiator_id") else None
    actor = Actor.for_user(user) if user is not None else Actor.system()
    try:
        return builds.request_build(build.workspace, actor=actor, transition="start")
    except (rbac.NotFound, rbac.Forbidden, ValidationFailed, Conflict) as exc:
        # The world changed since the restart was asked for (deleted, permission revoked,
        # another build queued): the stop stands, the start is dropped.
        log.warning("restart of workspace %s not completed: %s", build.workspace_id, exc)
        return None


def on_build_finished(build: WorkspaceBuild) -> None:
    """Call when `build`'s job has ended (inside or outside the finishing transaction)."""
    if build.transition != "stop":
        return
    with transaction.atomic():
        marker = _take_marker(build)
    if marker is not None:
        transaction.on_commit(lambda: _start(build.pk, marker))


def resume_pending_restarts() -> int:
    """Start the workspaces whose marked stop has finished; returns how many were handled."""
    done = 0
    finished = ProvisionerJob.objects.filter(input__has_key=MARKER, status__in=[
        JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED])
    for build in WorkspaceBuild.objects.filter(job__in=finished, active=False):
        on_build_finished(build)
        done += 1
    return done
