"""Build logs arrive on the follow stream one by one WHILE Terraform is still running.

A real Celery worker applies a template whose local-exec echoes, sleeps, echoes; the test
follows `/api/v2/workspacebuilds/{id}/logs` over a websocket (the way Coder clients follow)
against the real ASGI application and records when each line arrives.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services import tokens
from accounts.services.audit import Actor
from coderportal.asgi import application
from templates_app.models import ProvisionerJob
from tests.templates_app.archive_helpers import tar_of_dir
from tests.workers import start_worker
from tests.workspaces.helpers import create_template, import_version
from workspaces.models import WorkspaceBuild
from workspaces.services import workspaces as workspace_services

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
TEMPLATES = Path(__file__).parent / "templates"
PAUSE = 3


async def follow(build_id, token: str) -> list[tuple[float, str, str]]:
    """(arrival time, output, job status at arrival) for each streamed line."""
    communicator = WebsocketCommunicator(application, f"/api/v2/workspacebuilds/{build_id}/logs?follow=true",
                                         headers=[(b"coder-session-token", token.encode())])
    connected, _ = await communicator.connect(timeout=30)
    assert connected
    received = []
    job_status = database_sync_to_async(
        lambda: ProvisionerJob.objects.get(workspace_build__id=build_id).status)
    while True:
        try:
            message = await communicator.receive_output(timeout=120)
        except TimeoutError:
            break
        if message["type"] == "websocket.close":
            break
        entry = json.loads(message["text"])
        received.append((time.monotonic(), entry["output"], await job_status()))
    await communicator.disconnect()
    return received


def test_build_log_lines_stream_while_terraform_runs(owner, org, tmp_path, settings):
    actor = Actor.for_user(owner)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    version = import_version(actor, org, tar_of_dir(TEMPLATES / "chatty"), variables={"pause": str(PAUSE)})
    template = create_template(actor, org, version, name="chatty")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    worker = start_worker(tmp_path)
    try:
        workspace = workspace_services.create_workspace(actor=actor, organization=org, owner=owner, name="talky",
                                                        template_id=template.pk)
        build = WorkspaceBuild.objects.get(workspace=workspace)
        _, token = tokens.issue(owner, login_type="password")
        received = async_to_sync(follow)(build.pk, token)
    finally:
        worker.stop()
    by_output = {}
    for at, output, status in received:
        for marker in ("line-one", "line-two", "line-three"):
            if output.endswith(marker) and marker not in by_output:
                by_output[marker] = (at, status)
    assert set(by_output) == {"line-one", "line-two", "line-three"}, [o for _, o, _ in received]
    # Each line was delivered while the job was still running, a pause apart — not in one batch at the end.
    assert by_output["line-one"][1] == "running" and by_output["line-two"][1] == "running"
    assert by_output["line-two"][0] - by_output["line-one"][0] >= PAUSE - 1
    assert by_output["line-three"][0] - by_output["line-two"][0] >= PAUSE - 1
    assert ProvisionerJob.objects.get(pk=build.job_id).status == "succeeded"
    assert received[-1][1].startswith(("Cleaning up", "Apply complete", "Outputs"))
