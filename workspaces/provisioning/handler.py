"""The workspace_build job handler.

run(): unpack the version's archive, hand the provisioner the previous state, the
parameter values and the per-build provider environment, and let Terraform apply (start,
stop with start_count 0) or destroy (delete). An orphan delete runs no Terraform. Between
plan and apply the provisioner commits the build's daily cost through
`workspaces.services.quotas` (which alone writes `daily_cost`, as Coder's committer does).
persist(): always saves the resulting state — failure and cancel included — then resources
and agents; a successful delete marks the workspace deleted. checkpoint(): while Terraform
runs, the state file it keeps writing is copied to the build, so a worker that dies mid-build
loses nothing Terraform had already recorded.
"""
from __future__ import annotations

import os

from django.utils import timezone

from coderportal.metrics import definitions as metrics
from templates_app.jobs import backend, handlers
from templates_app.jobs.handlers import Outcome
from templates_app.jobs.imports import unpack
from workspaces.lifecycle import changes
from workspaces.lifecycle import deadlines as lifecycle_deadlines
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.models.builds import Transition
from workspaces.provisioning import environment, notify, results
from workspaces.services import quotas

STATE_FILE = "terraform.tfstate"


def _source_dir(workdir: str) -> str:
    return os.path.join(workdir, "source")


class BuildHandler:
    def run(self, job, workdir, emit, should_cancel) -> Outcome:
        from provisioner.types import LogLine, ProvisionRequest

        build = WorkspaceBuild.objects.select_related(
            "workspace__owner", "workspace__template", "template_version").get(job=job)
        state = bytes(build.provisioner_state)
        if build.orphan:
            emit(LogLine(stage="Orphaning workspace", output="Orphan delete: no resources are destroyed."))
            return Outcome(status=handlers.SUCCEEDED, payload=None, extra={"state": b""})
        source = unpack(job, workdir)
        parameter_values = {p.name: p.value for p in build.parameters.all()}
        parameter_values.update(job.input.get("ephemeral_parameters") or {})
        request = ProvisionRequest(
            working_dir=source, transition=build.transition, state=state,
            variable_values={v["name"]: v.get("value", "") for v in build.template_version.user_variable_values},
            parameter_values=parameter_values, provider_env=environment.provider_env(build, state),
            log_level="debug" if build.log_level == "debug" else "info")
        result = backend.provision(job.input.get("provisioner", "terraform"), request, emit=emit,
                                   should_cancel=should_cancel, commit_quota=quotas.committer(job.pk))
        return Outcome(status=result.status, error=result.error, error_code=result.error_code, payload=result,
                       extra={"state": result.state})

    def persist(self, job, outcome: Outcome) -> None:
        build = WorkspaceBuild.objects.select_for_update().get(job=job)
        state = outcome.extra.get("state") if outcome.extra else None
        fields = ["active", "updated_at"]
        if state is not None:  # None: reaped or crashed — keep the last checkpoint
            build.provisioner_state = state
            fields.append("provisioner_state")
        if outcome.payload is not None:
            results.save_resources(build, outcome.payload.resources)
        build.active = False
        build.save(update_fields=fields)
        if outcome.status == handlers.SUCCEEDED and build.transition == Transition.DELETE:
            Workspace.objects.filter(pk=build.workspace_id).update(deleted=True)
        # Lifecycle: a successful start gets its deadline; watchers hear of the outcome.
        lifecycle_deadlines.on_build_completed(build, succeeded=outcome.status == handlers.SUCCEEDED,
                                               now=timezone.now())
        changes.publish_on_commit(build.workspace_id)
        notify.build_finished(build, outcome.status)  # in the job's transaction: sent iff the outcome sticks
        if job.input.get("ephemeral_parameters"):
            # Ephemeral values were for this build only: drop them once it has run.
            job.input = {**job.input, "ephemeral_parameters": {}}
            job.save(update_fields=["input"])

    def checkpoint(self, job, workdir) -> None:
        path = os.path.join(_source_dir(workdir), STATE_FILE)
        try:
            with open(path, "rb") as handle:
                state = handle.read()
        except FileNotFoundError:
            return
        if state:
            WorkspaceBuild.objects.filter(job=job, active=True).exclude(provisioner_state=state) \
                .update(provisioner_state=state)

    def finished(self, job) -> None:
        from workspaces.services import restart

        build = WorkspaceBuild.objects.select_related("workspace__template").filter(job=job).first()
        if build is not None:
            metrics.build_finished(template_name=build.workspace.template.name, transition=build.transition,
                                   status=job.status)
            restart.on_build_finished(build)

    def secrets(self, job) -> list[str]:
        build = WorkspaceBuild.objects.select_related("template_version").filter(job=job).first()
        if build is None:
            return []
        sensitive = set(build.template_version.variables.filter(sensitive=True).values_list("name", flat=True))
        values = [v.get("value", "") for v in build.template_version.user_variable_values if v["name"] in sensitive]
        values += list(environment.previous_agent_tokens(bytes(build.provisioner_state)).values())
        return values


def register() -> None:
    handlers.register("workspace_build", BuildHandler())
