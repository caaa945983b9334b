"""User-facing lifecycle actions: mark a workspace dormant or active again, and ask whether
an autostart on the active version would fail on parameters (`resolve-autostart`).

Each authorizes through accounts.rbac (`update` on the workspace to change dormancy, `read`
to resolve), writes in a transaction, records an audit row and notifies watchers.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from workspaces.lifecycle import changes
from workspaces.models import Workspace


def set_dormant(workspace: Workspace, *, actor: Actor, dormant: bool, now: datetime | None = None) -> bool:
    """False when the workspace already was in that state (the API answers 304).

    Coder's UpdateWorkspaceDormantDeletingAt: becoming dormant schedules the deletion
    (template auto-delete); waking up clears both and restarts the inactivity clock."""
    rbac.authorize(actor.subject, "update", workspace)
    if workspace.deleted:
        raise ValidationFailed("Workspace is deleted.", {"dormant": "The workspace has been deleted."})
    now = now or timezone.now()
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().select_related("template").get(pk=workspace.pk)
        if (locked.dormant_at is not None) == dormant:
            return False
        before = {"dormant_at": locked.dormant_at.isoformat() if locked.dormant_at else None}
        if dormant:
            autodelete = locked.template.time_til_dormant_autodelete_ms
            fields = {"dormant_at": now,
                      "deleting_at": now + timedelta(milliseconds=autodelete) if autodelete else None}
        else:
            fields = {"dormant_at": None, "deleting_at": None, "last_used_at": now}
        Workspace.objects.filter(pk=locked.pk).update(**fields)
        for key, value in fields.items():
            setattr(workspace, key, value)
        audit.record(actor, "write", "workspace", resource_id=workspace.pk, target=workspace.name,
                     organization=workspace.organization,
                     changes=audit.diff(before, {"dormant_at": now.isoformat() if dormant else None}))
        changes.publish_on_commit(workspace.pk)
    return True


def autostart_parameter_mismatch(workspace: Workspace, *, actor: Actor) -> bool:
    """Would a start on the template's active version fail on parameters (a new required or
    immutable one without default)? Coder's ResolveAutostartResponse.parameter_mismatch."""
    from templates_app.models import TemplateVersion
    from workspaces.services import parameters
    from workspaces.services.builds import previous_parameters

    rbac.authorize(actor.subject, "read", workspace)
    if workspace.latest_build_id is None or workspace.template.active_version_id is None:
        return False
    version = TemplateVersion.objects.get(pk=workspace.template.active_version_id)
    try:
        parameters.resolve(list(version.parameters.all()), {}, previous_parameters(workspace.latest_build),
                           first_build=False)
    except ValidationFailed:
        return True
    return False
