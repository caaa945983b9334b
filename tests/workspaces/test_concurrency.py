"""Concurrency guarantees of builds: many simultaneous start requests on one workspace give
exactly one build (the database enforces one active build per workspace)."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.services.audit import Actor
from accounts.services.errors import Conflict
from templates_app.models import JobStatus, ProvisionerJob
from tests.templates_app.archive_helpers import echo_template
from tests.workspaces.helpers import create_template, import_version
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.services import builds as build_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stopped_workspace(owner, org, settings, monkeypatch):
    """A workspace whose first build finished; then jobs are left pending (nobody runs them)."""
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    actor = Actor.for_user(owner)
    version = import_version(actor, org, echo_template({}), provisioner="echo")
    template = create_template(actor, org, version)
    from workspaces.services.workspaces import create_workspace

    workspace = create_workspace(actor=actor, organization=org, owner=owner, name="busy", template_id=template.pk)
    assert WorkspaceBuild.objects.get(workspace=workspace).job.status == "succeeded"
    # From here on nothing executes jobs: the storm's winner stays active.
    monkeypatch.setattr("templates_app.services.jobs.enqueue", lambda job: None)
    return workspace


def test_twenty_concurrent_starts_create_exactly_one_build(owner, stopped_workspace):
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def start():
        actor = Actor.for_user(owner)
        workspace = Workspace.objects.get(pk=stopped_workspace.pk)
        barrier.wait()
        try:
            build_services.request_build(workspace, actor=actor, transition="start")
            result = "created"
        except Conflict:
            result = "conflict"
        except Exception as exc:  # anything else is a bug the test must show
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=start) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(set(outcomes)) == ["conflict", "created"], outcomes
    assert outcomes.count("created") == 1
    builds = WorkspaceBuild.objects.filter(workspace=stopped_workspace).order_by("build_number")
    assert [b.build_number for b in builds] == [1, 2]
    assert builds.filter(active=True).count() == 1
    assert ProvisionerJob.objects.filter(status=JobStatus.PENDING).count() == 1
