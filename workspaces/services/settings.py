"""Changing a workspace's settings: name, autostart schedule, TTL, deadline extension,
automatic updates and the owner's favorite flag.

Each function authorizes `update` on the workspace, validates, writes in a transaction and
records an audit row (action `write`, resource `workspace`, with a field diff).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from workspaces.lifecycle import changes
from workspaces.lifecycle.schedule import TemplateSchedule, next_allowed_autostart
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.models.workspaces import AutomaticUpdates
from workspaces.services.workspaces import WORKSPACE_AUDIT_FIELDS, name_error, schedule_error, ttl_error

# Coder refuses deadlines closer than this (the autostop loop would race them).
MIN_EXTEND = timedelta(minutes=29)


def _save(workspace: Workspace, actor: Actor, changes: dict, *, fields=WORKSPACE_AUDIT_FIELDS) -> Workspace:
    before = audit.snapshot(workspace, fields)
    for key, value in changes.items():
        setattr(workspace, key, value)
    with transaction.atomic():
        workspace.save(update_fields=[*changes, "updated_at"])
        audit.record(actor, "write", "workspace", resource_id=workspace.pk, target=workspace.name,
                     organization=workspace.organization,
                     changes=audit.diff(before, audit.snapshot(workspace, fields)))
    return workspace


def _editable(workspace: Workspace, actor: Actor) -> None:
    rbac.authorize(actor.subject, "update", workspace)
    if workspace.deleted:
        raise ValidationFailed("Workspace is deleted.", {"id": "The workspace has been deleted."})


def rename(workspace: Workspace, *, actor: Actor, name: str) -> Workspace:
    _editable(workspace, actor)
    problem = name_error(name)
    if problem:
        raise ValidationFailed("Invalid workspace name.", {"name": problem})
    if name == workspace.name:
        return workspace
    taken = Workspace.objects.filter(owner_id=workspace.owner_id, name__iexact=name, deleted=False) \
        .exclude(pk=workspace.pk).exists()
    if taken:
        raise Conflict(f"Workspace {name!r} already exists.", validations={"name": "This value is already in use."})
    try:
        return _save(workspace, actor, {"name": name})
    except IntegrityError:
        raise Conflict(f"Workspace {name!r} already exists.",
                       validations={"name": "This value is already in use."}) from None


def set_autostart(workspace: Workspace, *, actor: Actor, schedule: str | None) -> Workspace:
    _editable(workspace, actor)
    schedule = (schedule or "").strip()
    problem = schedule_error(schedule)
    if problem:
        raise ValidationFailed("Invalid autostart schedule.", {"schedule": problem})
    if schedule and not workspace.template.allow_user_autostart:
        raise ValidationFailed("Autostart is not allowed for workspaces using this template.",
                               {"schedule": "The template does not allow user autostart."})
    next_start = next_allowed_autostart(timezone.now(), schedule, TemplateSchedule.of(workspace.template)) \
        if schedule else None
    return _save(workspace, actor, {"autostart_schedule": schedule, "next_start_at": next_start})


def set_ttl(workspace: Workspace, *, actor: Actor, ttl_ms) -> Workspace:
    _editable(workspace, actor)
    ttl_ms = ttl_ms or None  # 0 and null both disable autostop
    problem = ttl_error(ttl_ms)
    if problem:
        raise ValidationFailed("Invalid workspace autostop timer.", {"ttl_ms": problem})
    if ttl_ms is not None and not workspace.template.allow_user_autostop:
        raise ValidationFailed("Custom autostop TTL is not allowed for workspaces using this template.",
                               {"ttl_ms": "The template does not allow user autostop."})
    with transaction.atomic():
        _save(workspace, actor, {"ttl_ms": ttl_ms})
        if ttl_ms is None and workspace.latest_build_id:
            # Autostop disabled: the running build no longer has a deadline (as Coder does).
            WorkspaceBuild.objects.filter(pk=workspace.latest_build_id, transition="start").update(deadline=None)
    return workspace


def extend(workspace: Workspace, *, actor: Actor, deadline: datetime, now: datetime | None = None) -> WorkspaceBuild:
    """Move the running build's deadline (Coder's putExtendWorkspace, its texts included): the
    workspace must be running with an autostop deadline, the new one at least 30 minutes away,
    not before the build finished and not past the build's max_deadline. It may also shorten."""
    _editable(workspace, actor)
    now = now or timezone.now()
    with transaction.atomic():
        build = WorkspaceBuild.objects.select_for_update().select_related("job") \
            .filter(pk=workspace.latest_build_id).first()
        if build is None or build.transition != "start":
            current = build.transition if build is not None else "none"
            raise Conflict(f"Workspace must be started, current status: {current}")
        if build.job.completed_at is None:
            raise Conflict("Workspace is still building!")
        if build.deadline is None:
            raise Conflict("Workspace shutdown is manual.")
        if deadline < now + MIN_EXTEND:
            raise ValidationFailed("Cannot extend workspace: new deadline must be at least 30 minutes in the future",
                                   {"deadline": "new deadline must be at least 30 minutes in the future"})
        if deadline < build.job.completed_at:
            # (Coder's text, wrong as it is: the deadline is *before* the start.)
            raise ValidationFailed("Cannot extend workspace: new deadline must be before workspace start time",
                                   {"deadline": "new deadline must be before workspace start time"})
        if build.max_deadline is not None and deadline > build.max_deadline:
            raise ValidationFailed("Cannot extend workspace beyond max deadline.",
                                   {"deadline": "deadline is beyond max deadline imposed by template"})
        old = build.deadline
        WorkspaceBuild.objects.filter(pk=build.pk).update(deadline=deadline)
        build.deadline = deadline
        audit.record(actor, "write", "workspace", resource_id=workspace.pk, target=workspace.name,
                     organization=workspace.organization,
                     changes=audit.diff({"deadline": old.isoformat()}, {"deadline": deadline.isoformat()}),
                     additional={"build_number": build.build_number})
        changes.publish_on_commit(workspace.pk)
    return build


def set_automatic_updates(workspace: Workspace, *, actor: Actor, automatic_updates: str) -> Workspace:
    _editable(workspace, actor)
    if automatic_updates not in AutomaticUpdates.values:
        raise ValidationFailed("Invalid automatic updates setting.",
                               {"automatic_updates": "Must be 'always' or 'never'."})
    return _save(workspace, actor, {"automatic_updates": automatic_updates})


def set_favorite(workspace: Workspace, *, actor: Actor, favorite: bool) -> Workspace:
    """Only the owner favorites a workspace (Coder keeps one flag, the owner's)."""
    _editable(workspace, actor)
    if actor.user is None or actor.user.pk != workspace.owner_id:
        raise rbac.Forbidden("You can only favorite workspaces that you own.")
    if workspace.favorite == favorite:
        return workspace
    return _save(workspace, actor, {"favorite": favorite}, fields=("favorite",))
