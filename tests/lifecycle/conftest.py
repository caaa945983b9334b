"""Fixtures of the lifecycle tests: an echo-provisioner template, a live provisioner daemon,
and helpers that put a workspace's latest build into a given state at given times."""
from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from accounts.services.audit import Actor
from templates_app.models import ProvisionerDaemon, ProvisionerJob
from tests.workspaces.api_helpers import echo, new_template  # noqa: F401
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.services import builds as build_services
from workspaces.services.workspaces import create_workspace

PROJECT = [{"name": "project", "value": "core"}]


@pytest.fixture
def daemon(db):
    """A provisioner daemon seen just now: the executor skips workspaces no one could build."""
    return ProvisionerDaemon.objects.create(name="lifecycle-test-daemon", tags={}, last_seen_at=timezone.now())


@pytest.fixture
def template(owner, org, echo, django_capture_on_commit_callbacks):  # noqa: F811
    return new_template(owner, org, django_capture_on_commit_callbacks)[0]


def new_workspace(owner, org, template, name="ws", **kw) -> Workspace:
    """A workspace whose first (start) build is left pending: tests set its outcome."""
    return create_workspace(actor=Actor.for_user(owner), organization=org, owner=owner, name=name,
                            template_id=template.pk, rich_parameter_values=PROJECT, **kw)


def set_latest(workspace: Workspace, *, transition: str = "start", status: str = "succeeded",
               created_at: datetime, completed_at: datetime | None = None, reason: str = "initiator",
               deadline=None, max_deadline=None) -> WorkspaceBuild:
    build = Workspace.objects.get(pk=workspace.pk).latest_build
    done = status in ("succeeded", "failed", "canceled")
    ProvisionerJob.objects.filter(pk=build.job_id).update(
        status=status, created_at=created_at, completed_at=(completed_at or created_at) if done else None)
    WorkspaceBuild.objects.filter(pk=build.pk).update(
        transition=transition, active=not done, created_at=created_at, reason=reason, deadline=deadline,
        max_deadline=max_deadline)
    return WorkspaceBuild.objects.get(pk=build.pk)


def add_build(workspace: Workspace, **state) -> WorkspaceBuild:
    """Another build after the latest one, then put into `state` (see set_latest)."""
    build_services.request_build(Workspace.objects.get(pk=workspace.pk), actor=Actor.system(),
                                 transition=state.get("transition", "start"))
    return set_latest(workspace, **state)


def latest(workspace: Workspace) -> WorkspaceBuild:
    return Workspace.objects.get(pk=workspace.pk).latest_build
