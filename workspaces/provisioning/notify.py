"""Notifications for the outcome of a workspace build (Coder's provisionerdserver rules):

- a delete that succeeded tells the owner, unless the owner deleted it themselves;
- a build someone started that failed tells the template admins (manual build failed);
- a build the system started that failed tells the owner (autobuild failed).
Called inside the job's completion transaction.
"""
from __future__ import annotations

from notifications import events
from templates_app.jobs import handlers
from workspaces.models.builds import BuildReason, Transition

REASON_TEXT = {BuildReason.INITIATOR: "initiated by user"}


def build_finished(build, status: str) -> None:
    workspace = build.workspace
    initiator = build.initiator
    if status == handlers.SUCCEEDED and build.transition == Transition.DELETE:
        if initiator is not None and initiator.pk == workspace.owner_id:
            return
        events.workspace_deleted(workspace, initiator=initiator.username if initiator else "autobuild",
                                 reason=REASON_TEXT.get(build.reason, build.reason))
    elif status == handlers.FAILED:
        if build.reason == BuildReason.INITIATOR:
            events.workspace_manual_build_failed(
                workspace, initiator=initiator.username if initiator else "unknown",
                template_name=workspace.template.name, version_name=build.template_version.name,
                build_number=build.build_number)
        else:
            events.workspace_autobuild_failed(workspace, reason=build.reason)
