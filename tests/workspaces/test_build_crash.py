"""A provisioner worker SIGKILLed in the middle of a real build: the reaper fails the build,
the Terraform state written so far is kept, and the next start converges from it."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from accounts.services.audit import Actor
from templates_app.jobs import reaper
from templates_app.models import ProvisionerJob, ProvisionerJobLog
from tests.templates_app.archive_helpers import tar_of_dir
from tests.workers import start_worker, wait_for
from tests.workspaces.helpers import chatty_template, import_version
from workspaces.models import WorkspaceBuild
from workspaces.services import builds as build_services
from workspaces.services import workspaces as workspace_services

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
TEMPLATES = Path(__file__).parent / "templates"


def state_addresses(state: bytes) -> set[str]:
    if not state:
        return set()
    return {f"{r['type']}.{r['name']}" for r in json.loads(state).get("resources", []) if r.get("mode") == "managed"
            and r.get("instances")}


def test_worker_killed_mid_build_keeps_partial_state(owner, org, tmp_path, settings, monkeypatch):
    actor = Actor.for_user(owner)
    template = chatty_template(actor, org, settings, pause=20)
    worker = start_worker(tmp_path)
    try:
        workspace = workspace_services.create_workspace(actor=actor, organization=org, owner=owner, name="crashy",
                                                        template_id=template.pk)
        build = WorkspaceBuild.objects.get(workspace=workspace)
        wait_for(lambda: ProvisionerJobLog.objects.filter(job=build.job, output__contains="line-one").exists(),
                 timeout=120, message="the build to reach its slow step")
        # The heartbeat (1 s in tests) copies Terraform's state file while it applies.
        wait_for(lambda: "terraform_data.first" in state_addresses(
            bytes(WorkspaceBuild.objects.get(pk=build.pk).provisioner_state)), timeout=30,
            message="a state checkpoint with the first resource")
        worker.kill()
    finally:
        worker.stop()
    monkeypatch.setenv("CODER_PROVISIONER_HANG_TIMEOUT", "1s")
    time.sleep(1.5)
    assert reaper.reap()["hung"] == 1
    build.refresh_from_db()
    job = ProvisionerJob.objects.get(pk=build.job_id)
    assert job.status == "failed" and job.error_code == "HUNG_JOB"
    assert not build.active
    kept = state_addresses(bytes(build.provisioner_state))
    assert {"coder_agent.main", "terraform_data.first"} <= kept

    # The next start begins from that state and converges (quick now: pause 0 via a new version).
    settings.CELERY_TASK_ALWAYS_EAGER = True
    fast = import_version(actor, org, tar_of_dir(TEMPLATES / "chatty"), template=template, variables={"pause": "0"})
    again = build_services.request_build(workspace, actor=actor, transition="start", template_version_id=fast.pk)
    again = WorkspaceBuild.objects.get(pk=again.pk)
    assert again.job.status == "succeeded", again.job.error
    logs = " ".join(again.job.logs.values_list("output", flat=True))
    assert "terraform_data.first[0]: Refreshing state" in logs  # it knew the resource from the kept state
    assert {"coder_agent.main", "terraform_data.first", "terraform_data.chatty"} <= state_addresses(
        bytes(again.provisioner_state))
