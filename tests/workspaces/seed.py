"""Workspaces written directly (no jobs run): each with a finished start build, a resource
with metadata, an agent with an app and a script — what a page of the list must render."""
from __future__ import annotations

from django.utils import timezone

from templates_app.models import JobStatus, JobType, ProvisionerJob
from workspaces.models import (
    Workspace,
    WorkspaceAgent,
    WorkspaceAgentScript,
    WorkspaceApp,
    WorkspaceBuild,
    WorkspaceResource,
    WorkspaceResourceMetadata,
)


def running_workspace(owner, template, name: str, *, job_status=JobStatus.SUCCEEDED) -> Workspace:
    version = template.active_version
    now = timezone.now()
    workspace = Workspace.objects.create(owner=owner, organization=template.organization, template=template,
                                         name=name)
    job = ProvisionerJob.objects.create(organization=template.organization, initiator=owner,
                                        type=JobType.WORKSPACE_BUILD, status=job_status, file=version.file,
                                        started_at=now, completed_at=now if job_status != "pending" else None)
    build = WorkspaceBuild.objects.create(workspace=workspace, template_version=version, build_number=1,
                                          transition="start", initiator=owner, job=job,
                                          active=job_status in ("pending", "running"))
    job.input = {"workspace_build_id": str(build.pk)}
    job.save(update_fields=["input"])
    resource = WorkspaceResource.objects.create(build=build, job=job, transition="start", type="docker_container",
                                                name="dev")
    WorkspaceResourceMetadata.objects.create(resource=resource, key="image", value="ubuntu")
    agent = WorkspaceAgent.objects.create(resource=resource, name="main", auth_token_hash="x" * 64)
    WorkspaceApp.objects.create(agent=agent, slug="code", url="http://localhost:8080")
    WorkspaceAgentScript.objects.create(agent=agent, display_name="Startup", script="true", run_on_start=True)
    Workspace.objects.filter(pk=workspace.pk).update(latest_build=build)
    workspace.latest_build = build
    return workspace
