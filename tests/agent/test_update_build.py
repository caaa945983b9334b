"""An update build gives a running agent a new row (same token, new id) while its process
lives on: the relay, the terminal and app health follow it to the new row without a
restart. (The real-Terraform version of this is in test_local_starter.py.)"""
from __future__ import annotations

import json
import uuid

import pytest

from tests.agent.conftest import make_agent, wait_for
from tests.agent.test_terminal import _relay_up, open_pty, read_until
from workspaces.models import Workspace, WorkspaceAgent, WorkspaceApp, WorkspaceBuild, WorkspaceResource

pytestmark = pytest.mark.timeout(120)


def _update_build(agent: WorkspaceAgent, *, apps=()) -> WorkspaceAgent:
    """What an update build leaves behind: build n+1 with a new row for the same agent token."""
    from templates_app.models import ProvisionerJob

    old = agent.resource.build
    job = ProvisionerJob.objects.create(organization=old.job.organization, type="workspace_build",
                                        file=old.job.file, status="succeeded")
    build = WorkspaceBuild.objects.create(workspace=old.workspace, template_version=old.template_version,
                                          build_number=old.build_number + 1, transition="start", job=job,
                                          active=False)
    Workspace.objects.filter(pk=old.workspace_id).update(latest_build=build)
    resource = WorkspaceResource.objects.create(build=build, job=job, transition="start",
                                                type="null_resource", name="dev")
    new = WorkspaceAgent.objects.create(resource=resource, name=agent.name, auth_token_hash=agent.auth_token_hash,
                                        connection_timeout_seconds=120, directory=agent.directory)
    for i, app in enumerate(apps):
        WorkspaceApp.objects.create(agent=new, order=i, **app)
    return new


def test_relay_terminal_and_app_health_follow_an_update_build(portal, run_agent, member, org, tmp_path):
    old = make_agent(member, org, "tok-update-1", directory=str(tmp_path))
    proc = run_agent(portal, "tok-update-1")
    wait_for(lambda: WorkspaceAgent.objects.get(pk=old.pk).lifecycle_state == "ready", message="ready")
    wait_for(lambda: _relay_up(portal, old, member), message="relay up")
    reconnect = str(uuid.uuid4())
    session = open_pty(portal, old, member, reconnect)
    session.send(json.dumps({"data": "export KEPT=from-before\r"}))

    new = _update_build(old, apps=[{"slug": "up", "healthcheck_url": f"{portal}/healthz",
                                    "healthcheck_interval": 1, "healthcheck_threshold": 1,
                                    "health": "initializing"}])
    wait_for(lambda: _relay_up(portal, new, member), message="terminal on the new agent row")
    with open_pty(portal, new, member, reconnect) as ws:  # the same shell as before the update
        ws.send(json.dumps({"data": "echo kept-$KEPT\r"}))
        read_until(ws, "kept-from-before")
    session.send(json.dumps({"data": "echo still-$((40+2))\r"}))  # a stream opened before goes on
    read_until(session, "still-42")
    session.close()

    # The agent took the new build's manifest and told the new row where it is.
    wait_for(lambda: WorkspaceAgent.objects.get(pk=new.pk).lifecycle_state == "ready", message="state replayed")
    wait_for(lambda: new.apps.get(slug="up").health == "healthy", message="health of the new build's app")
    assert WorkspaceAgent.objects.get(pk=new.pk).version
    assert proc.proc.poll() is None  # never restarted
