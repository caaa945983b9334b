"""Workspace builds: start, stop, delete (and restart/update, which are starts), cancel, state.

Every build starts from the previous build's Terraform state, a failed build's included.
One active build per workspace is enforced by a partial unique index; the workspace row is
locked first so concurrent requests queue up and the losers get a clean 409.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import Conflict, ValidationFailed
from notifications import events
from templates_app.models import JobType, TemplateVersion
from templates_app.services import jobs
from workspaces.lifecycle import changes
from workspaces.models import Workspace, WorkspaceBuild, WorkspaceBuildParameter
from workspaces.models.builds import BuildReason, Transition
from workspaces.services import parameters, quotas
from workspaces.services.parameters import ResolvedParameters

ACTION_FOR_TRANSITION = {Transition.START: "start", Transition.STOP: "stop", Transition.DELETE: "delete"}


class BuildConflict(Conflict):
    def __init__(self):
        super().__init__("A build is already in progress for this workspace.",
                         detail="Wait for it to finish or cancel it first.")


def previous_parameters(build: WorkspaceBuild | None) -> dict[str, str]:
    if build is None:
        return {}
    return {p.name: p.value for p in build.parameters.all()}


def create_build(workspace: Workspace, *, actor: Actor, transition: str, version: TemplateVersion,
                 resolved: ResolvedParameters, orphan: bool = False, log_level: str = "",
                 reason: str = BuildReason.INITIATOR) -> WorkspaceBuild:
    """Write the build and its job (caller authorized and validated). Raises BuildConflict."""
    try:
        with transaction.atomic():
            locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
            if WorkspaceBuild.objects.filter(workspace=locked, active=True).exists():
                raise BuildConflict()
            latest = WorkspaceBuild.objects.filter(workspace=locked).order_by("-build_number").first()
            job = jobs.create_job(
                organization=locked.organization, initiator=actor.user, job_type=JobType.WORKSPACE_BUILD,
                file=version.file, tags=version.job.tags,
                input={"provisioner": version.job.input.get("provisioner", "terraform"),
                       "ephemeral_parameters": resolved.ephemeral})
            build = WorkspaceBuild.objects.create(
                workspace=locked, template_version=version, build_number=(latest.build_number + 1) if latest else 1,
                transition=transition, reason=reason, initiator=actor.user, job=job, orphan=orphan,
                log_level=log_level, provisioner_state=bytes(latest.provisioner_state) if latest else b"")
            WorkspaceBuildParameter.objects.bulk_create(
                [WorkspaceBuildParameter(build=build, name=k, value=v) for k, v in resolved.stored.items()])
            job.input = {**job.input, "workspace_build_id": str(build.pk)}
            job.save(update_fields=["input"])
            Workspace.objects.filter(pk=locked.pk).update(latest_build=build)
            changes.publish_on_commit(locked.pk)
            workspace.latest_build = build
            audit.record(actor, ACTION_FOR_TRANSITION[transition], "workspace_build", resource_id=build.pk,
                         target=locked.name, organization=locked.organization, status_code=201,
                         additional={"workspace_name": locked.name, "build_number": build.build_number,
                                     "build_reason": reason, "workspace_owner": str(locked.owner_id),
                                     "transition": transition, "template_version": version.name})
            _notify_manual_update(locked, latest, build, actor)
    except IntegrityError:
        raise BuildConflict() from None
    return build


def _notify_manual_update(workspace: Workspace, latest, build: WorkspaceBuild, actor: Actor) -> None:
    """Coder tells the owner when someone else moved their workspace to another template version."""
    if (build.reason == BuildReason.INITIATOR and latest is not None and build.transition == Transition.START
            and latest.template_version_id != build.template_version_id and actor.user is not None
            and actor.user.pk != workspace.owner_id):
        events.workspace_manually_updated(workspace, initiator=actor.user.username,
                                          template_name=workspace.template.name,
                                          version_name=build.template_version.name)


def _version_for(workspace: Workspace, latest: WorkspaceBuild | None, transition: str, template_version_id,
                 actor: Actor) -> TemplateVersion:
    template = workspace.template
    if template_version_id:
        version = TemplateVersion.objects.select_related("job").filter(pk=template_version_id,
                                                                        template=template).first()
        if version is None:
            raise ValidationFailed("Validation failed.",
                                   {"template_version_id": "Version not found in the workspace's template."})
        if version.job.status != "succeeded":
            raise ValidationFailed("Validation failed.",
                                   {"template_version_id": "The version's import has not succeeded."})
        if (transition == Transition.START and template.require_active_version
                and version.pk != template.active_version_id and not rbac.can(actor.subject, "update", template)):
            raise rbac.Forbidden("This template requires the active version.")
        return version
    active_required = template.require_active_version and not rbac.can(actor.subject, "update", template)
    if transition == Transition.START and (latest is None or active_required
                                           or workspace.automatic_updates == "always"):
        return TemplateVersion.objects.select_related("job").get(pk=template.active_version_id)
    return TemplateVersion.objects.select_related("job").get(pk=latest.template_version_id)


def request_build(workspace: Workspace, *, actor: Actor, transition: str, template_version_id=None,
                  rich_parameter_values=None, orphan: bool = False, log_level: str = "",
                  reason: str = BuildReason.INITIATOR) -> WorkspaceBuild:
    if transition not in ACTION_FOR_TRANSITION:
        raise ValidationFailed("Validation failed.", {"transition": "Must be start, stop or delete."})
    rbac.authorize(actor.subject, ACTION_FOR_TRANSITION[transition], workspace)
    if workspace.deleted:
        raise ValidationFailed("Workspace is deleted.", {"transition": "The workspace has been deleted."})
    if orphan and transition != Transition.DELETE:
        raise ValidationFailed("Validation failed.", {"orphan": "orphan is only valid with transition delete."})
    if log_level not in ("", "debug"):
        raise ValidationFailed("Validation failed.", {"log_level": "Must be empty or 'debug'."})
    if transition == Transition.START and workspace.dormant_at is not None:
        raise rbac.Forbidden("Cannot start a dormant workspace: mark it active first (PUT /workspaces/{id}/dormant).")
    latest = WorkspaceBuild.objects.filter(workspace=workspace).order_by("-build_number").first()
    if latest is not None and latest.active:
        raise BuildConflict()
    version = _version_for(workspace, latest, transition, template_version_id, actor)
    previous = previous_parameters(latest)
    if transition == Transition.START:
        resolved = parameters.resolve(list(version.parameters.all()),
                                      parameters.requested_values(rich_parameter_values), previous,
                                      first_build=latest is None)
        quotas.check_start(owner_id=workspace.owner_id, organization_id=workspace.organization_id,
                           version=version, workspace=workspace)
    else:
        if rich_parameter_values:
            raise ValidationFailed("Validation failed.",
                                   {"rich_parameter_values": "Parameters can only be set on start builds."})
        resolved = ResolvedParameters(values=dict(previous), stored=dict(previous), ephemeral={})
    return create_build(workspace, actor=actor, transition=transition, version=version, resolved=resolved,
                        orphan=orphan, log_level=log_level, reason=reason)


def cancel_build(build: WorkspaceBuild, *, actor: Actor):
    workspace = build.workspace
    rbac.authorize(actor.subject, "update", workspace)
    if not workspace.template.allow_user_cancel_workspace_jobs and not rbac.can(actor.subject, "update",
                                                                                 workspace.template):
        raise rbac.Forbidden("The template does not allow users to cancel workspace builds.")
    return jobs.cancel_job(build.job, actor=actor, resource_type="workspace_build", target=workspace.name)


def read_state(build: WorkspaceBuild, *, actor: Actor) -> bytes:
    """Terraform state holds secrets (agent tokens): template administrators only."""
    rbac.authorize(actor.subject, "read", build)
    rbac.authorize(actor.subject, "update", build.workspace.template)
    return bytes(build.provisioner_state)


def write_state(build: WorkspaceBuild, state: bytes, *, actor: Actor) -> None:
    rbac.authorize(actor.subject, "read", build)
    rbac.authorize(actor.subject, "update", build.workspace.template)
    if build.active:
        raise BuildConflict()
    with transaction.atomic():
        WorkspaceBuild.objects.filter(pk=build.pk).update(provisioner_state=state)
        audit.record(actor, "write", "workspace_build", resource_id=build.pk, target=build.workspace.name,
                     organization=build.workspace.organization, description="state replaced",
                     additional={"build_number": build.build_number, "state_bytes": len(state)})
