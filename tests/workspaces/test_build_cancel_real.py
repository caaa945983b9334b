"""Canceling a running build through the API with a real worker: Terraform is interrupted
gracefully, the build ends `canceled`, its state is kept, and no Terraform-side process of the
job survives."""
from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from accounts.services.audit import Actor
from templates_app.models import ProvisionerJob, ProvisionerJobLog
from tests.workers import start_worker, wait_for
from tests.workspaces.helpers import chatty_template
from workspaces.models import WorkspaceBuild
from workspaces.services import workspaces as workspace_services

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
TEMPLATES = Path(__file__).parent / "templates"
MARKERS = ("provisioner.tfworker", "provisioner.coder_provider", "echo line-one; sleep 60")


def job_processes() -> list[str]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if any(marker in cmdline for marker in MARKERS):
            found.append(cmdline)
    return found


def test_cancel_running_build_interrupts_terraform(client_for, owner, org, tmp_path, settings):
    actor = Actor.for_user(owner)
    template = chatty_template(actor, org, settings, pause=60)
    worker = start_worker(tmp_path)
    try:
        workspace = workspace_services.create_workspace(actor=actor, organization=org, owner=owner, name="halt",
                                                        template_id=template.pk)
        build = WorkspaceBuild.objects.get(workspace=workspace)
        wait_for(lambda: ProvisionerJobLog.objects.filter(job=build.job, output__endswith="line-one").exists(),
                 timeout=120, message="the build to reach its long sleep")
        response = client_for(owner).patch(f"/api/v2/workspacebuilds/{build.pk}/cancel")
        assert response.status_code == 200, response.content
        assert ProvisionerJob.objects.get(pk=build.job_id).status in ("canceling", "canceled")
        job = wait_for(lambda: ProvisionerJob.objects.filter(pk=build.job_id, status="canceled").first(),
                       timeout=90, message="the job to end canceled")
        assert job.canceled_at and job.completed_at
        build.refresh_from_db()
        assert not build.active
        assert b"terraform_data" in bytes(build.provisioner_state)  # what was created before is kept
        wait_for(lambda: not job_processes(), timeout=30, message="job processes to exit")
        body = client_for(owner).get(f"/api/v2/workspacebuilds/{build.pk}").json()
        assert body["status"] == "canceled" and body["job"]["status"] == "canceled"
    finally:
        worker.stop()
