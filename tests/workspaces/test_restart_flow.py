"""Restart end to end: the stop's job finishing triggers the start through the job runner."""
from __future__ import annotations

import pytest

from accounts.services.audit import Actor
from tests.templates_app.archive_helpers import echo_template
from tests.workspaces.helpers import create_template, import_version
from workspaces.models import WorkspaceBuild
from workspaces.services import restart
from workspaces.services.workspaces import create_workspace

pytestmark = pytest.mark.django_db(transaction=True)


def test_restart_runs_stop_then_start(owner, org, settings, monkeypatch):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    actor = Actor.for_user(owner)
    template = create_template(actor, org, import_version(actor, org, echo_template({}), provisioner="echo"))
    workspace = create_workspace(actor=actor, organization=org, owner=owner, name="bounce", template_id=template.pk)
    restart.request_restart(workspace, actor=actor)
    builds = list(WorkspaceBuild.objects.filter(workspace=workspace).order_by("build_number"))
    assert [(b.build_number, b.transition, b.job.status) for b in builds] == [
        (1, "start", "succeeded"), (2, "stop", "succeeded"), (3, "start", "succeeded")]
    assert builds[2].initiator == owner
