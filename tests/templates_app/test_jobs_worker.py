"""Provisioner jobs executed by a REAL Celery worker process (real Terraform, real broker).

Covers what only a separate process can show: daemon registration and status, routing by
tags, and the reaper failing a job whose worker was SIGKILLed mid-import, with no
Terraform-side process left behind.
"""
from __future__ import annotations

import time

import psutil
import pytest

from templates_app.jobs import reaper
from templates_app.models import ProvisionerJob
from tests.templates_app.archive_helpers import PROVISIONER_TEMPLATES, tar_of_dir
from tests.workers import start_worker, wait_for

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
JOB_PROCESS_MARKERS = ("provisioner.tfworker", "terraform-provider-coder", "coder_provider")


def job_processes() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if any(marker in cmdline for marker in JOB_PROCESS_MARKERS):
            found.append(process)
    return found


def create_version(client, org, archive: bytes, **extra) -> dict:
    file_id = client.generic("POST", "/api/v2/files", archive, content_type="application/x-tar").json()["hash"]
    response = client.post(f"/api/v2/organizations/{org.name}/templateversions", {"file_id": file_id, **extra},
                           format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def worker(tmp_path):
    handle = start_worker(tmp_path)
    yield handle
    handle.stop()


def test_worker_runs_import_and_reports_as_daemon(client_for, owner, org, worker):
    client = client_for(owner)
    version = create_version(client, org, tar_of_dir(PROVISIONER_TEMPLATES / "full"),
                             user_variable_values=[{"name": "team", "value": "x"}])
    job = wait_for(lambda: ProvisionerJob.objects.filter(pk=version["job"]["id"], status__in=[
        "succeeded", "failed"]).first(), timeout=120, message="import to finish")
    assert job.status == "succeeded", (job.error, worker.log()[-3000:])
    daemons = client.get(f"/api/v2/organizations/{org.name}/provisionerdaemons").json()
    mine = [d for d in daemons if d["name"] == worker.name]
    assert mine and mine[0]["status"] == "idle", daemons
    assert mine[0]["previous_job"]["id"] == str(job.pk)
    assert client.get(f"/api/v2/templateversions/{version['id']}").json()["job"]["worker_id"] == mine[0]["id"]


def test_tagged_job_waits_for_a_matching_daemon(client_for, owner, org, worker, tmp_path):
    client = client_for(owner)
    version = create_version(client, org, tar_of_dir(PROVISIONER_TEMPLATES / "full"), tags={"env": "gpu"},
                             user_variable_values=[{"name": "team", "value": "x"}])
    time.sleep(2)
    pending = client.get(f"/api/v2/templateversions/{version['id']}").json()
    assert pending["job"]["status"] == "pending"
    assert pending["matched_provisioners"]["count"] == 0  # says why it waits
    tagged = start_worker(tmp_path, tags={"env": "gpu", "zone": "a"})
    try:
        job = wait_for(lambda: ProvisionerJob.objects.filter(pk=version["job"]["id"], status="succeeded").first(),
                       timeout=120, message="tagged import")
        assert job.worker.name == tagged.name
    finally:
        tagged.stop()


def test_sigkilled_worker_job_is_reaped_and_leaves_no_processes(client_for, owner, org, worker, monkeypatch):
    client = client_for(owner)
    version = create_version(client, org, tar_of_dir(PROVISIONER_TEMPLATES / "full"),
                             user_variable_values=[{"name": "team", "value": "x"}])
    wait_for(lambda: ProvisionerJob.objects.filter(pk=version["job"]["id"], status="running").exists(),
             timeout=120, interval=0.02, message="import to start running")
    worker.kill()
    job = ProvisionerJob.objects.get(pk=version["job"]["id"])
    assert job.status == "running"  # nobody finished it
    wait_for(lambda: not job_processes(), timeout=30, message="job processes to exit after the worker died")
    monkeypatch.setenv("CODER_PROVISIONER_HANG_TIMEOUT", "2s")
    time.sleep(2.5)
    assert reaper.reap()["hung"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.error_code == "HUNG_JOB" and job.completed_at
    body = client.get(f"/api/v2/templateversions/{version['id']}").json()
    assert body["job"]["status"] == "failed" and "hung" in body["job"]["error"].lower()
