"""Many workspaces written directly (bulk_create, no jobs run), each with a succeeded start
build whose deadline is given: due ones are what the executor must stop."""
from __future__ import annotations

import uuid
from datetime import datetime

from templates_app.models import JobStatus, JobType, ProvisionerJob
from workspaces.models import Workspace, WorkspaceBuild


def running_workspaces(owners, template, count: int, *, deadline: datetime, prefix: str = "ws",
                       batch: int = 2000) -> list:
    """`count` running workspaces of `template`, round-robin over `owners`; returns their ids."""
    version = template.active_version
    ids = []
    for start in range(0, count, batch):
        rows, jobs, builds = [], [], []
        for k in range(start, min(count, start + batch)):
            owner = owners[k % len(owners)]
            ws = Workspace(id=uuid.uuid4(), owner=owner, organization=template.organization, template=template,
                           name=f"{prefix}{k}")
            job = ProvisionerJob(id=uuid.uuid4(), organization=template.organization, initiator=owner,
                                 file=version.file, type=JobType.WORKSPACE_BUILD, status=JobStatus.SUCCEEDED,
                                 started_at=deadline, completed_at=deadline)
            build = WorkspaceBuild(id=uuid.uuid4(), workspace=ws, template_version=version, build_number=1,
                                   transition="start", initiator=owner, job=job, active=False, deadline=deadline)
            job.input = {"workspace_build_id": str(build.id)}
            rows.append(ws)
            jobs.append(job)
            builds.append(build)
        Workspace.objects.bulk_create(rows)
        ProvisionerJob.objects.bulk_create(jobs)
        WorkspaceBuild.objects.bulk_create(builds)
        for ws, build in zip(rows, builds):
            ws.latest_build = build
        Workspace.objects.bulk_update(rows, ["latest_build"])
        ids += [ws.id for ws in rows]
    return ids
