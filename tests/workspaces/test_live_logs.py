"""Build logs arrive on the follow stream one by one WHILE Terraform is still running.

A real Celery worker applies a template whose local-exec echoes, sleeps, echoes; the test
follows `/api/v2/workspacebuilds/{id}/logs` over a websocket (the way Coder clients follow)
against the real ASGI application and records when each line arrives.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services import tokens
from accounts.services.audit import Actor
from coderportal.asgi import application
from templates_app.models import ProvisionerJob
from tests.workers import start_worker
from tests.workspaces.helpers import chatty_template
from workspaces.models import WorkspaceBuild
from workspaces.services import workspaces as workspace_services

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
TEMPLATES = Path(__file__).parent / "templates"
PAUSE = 3


async def follow(build_id, token: str) -> list[tuple[str, str, str]]:
    """(output, job status, all lines written so far) at the arrival of each streamed line."""
    communicator = WebsocketCommunicator(application, f"/api/v2/workspacebuilds/{build_id}/logs?follow=true",
                                         headers=[(b"coder-session-token", token.encode())])
    connected, _ = await communicator.connect(timeout=30)
    assert connected
    received = []

    def snapshot():
        """The job's status and every line already written, as the line arrives."""
        job = ProvisionerJob.objects.get(workspace_build__id=build_id)
        return job.status, " ".join(job.logs.values_list("output", flat=True))

    job_state = database_sync_to_async(snapshot)
    while True:
        try:
            message = await communicator.receive_output(timeout=120)
        except TimeoutError:
            break
        if message["type"] == "websocket.close":
            break
        entry = json.loads(message["text"])
        received.append((entry["output"], *await job_state()))
    await communicator.disconnect()
    return received


def test_build_log_lines_stream_while_terraform_runs(owner, org, tmp_path, settings):
    actor = Actor.for_user(owner)
    template = chatty_template(actor, org, settings, pause=PAUSE)
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
    for output, status, written in received:
        for marker in ("line-one", "line-two", "line-three"):
            if output.endswith(marker) and marker not in by_output:
                by_output[marker] = (status, written)
    assert set(by_output) == {"line-one", "line-two", "line-three"}, [o for o, _, _ in received]
    # Interleaving, not timing: each line reached the client while the job was still running
    # and before Terraform had even produced the next one.
    status, written = by_output["line-one"]
    # (The "Executing: ..." line quotes the whole command, so look for the echoed output.)
    assert status == "running" and "(local-exec): line-two" not in written
    status, written = by_output["line-two"]
    assert status == "running" and "(local-exec): line-three" not in written
    assert ProvisionerJob.objects.get(pk=build.job_id).status == "succeeded"
    assert received[-1][0].startswith(("Cleaning up", "Apply complete", "Outputs"))
