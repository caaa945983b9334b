"""Quotas with REAL Terraform: the cost of the plan's coder_metadata is committed between plan
and apply; a start over budget fails with Coder's log line before anything is applied; and
real provisioner workers building at the same time never take a user past the budget."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction

from accounts.services.audit import Actor
from templates_app.jobs import runner
from templates_app.models import JobStatus, ProvisionerJob
from tests.templates_app.archive_helpers import tar_of_dir
from tests.workers import start_worker, wait_for
from tests.workspaces.helpers import create_template, import_version
from tests.workspaces.quota_helpers import set_everyone_allowance
from workspaces.models import WorkspaceBuild
from workspaces.services import quotas
from workspaces.services import workspaces as workspace_services

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
TEMPLATES = Path(__file__).parent / "templates"


def costly_template(owner, org, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    actor = Actor.for_user(owner)
    template = create_template(actor, org, import_version(actor, org, tar_of_dir(TEMPLATES / "costly")),
                               name="costly")
    settings.CELERY_TASK_ALWAYS_EAGER = False  # builds go to the broker from here on
    return template


def create_queued(member, org, template, names):
    """Create the workspaces in one transaction: their builds are queued together, each accepted
    up front (nothing is committed yet)."""
    actor = Actor.for_user(member)
    with transaction.atomic():
        workspaces = [workspace_services.create_workspace(actor=actor, organization=org, owner=member, name=name,
                                                          template_id=template.pk) for name in names]
    return [WorkspaceBuild.objects.get(workspace=w) for w in workspaces]


def managed_types(state: bytes) -> set[str]:
    return {r["type"] for r in json.loads(state or b'{"resources": []}')["resources"] if r.get("mode") == "managed"}


def test_start_over_budget_fails_before_apply_with_coders_log_line(owner, org, member, settings):
    template = costly_template(owner, org, settings)
    assert quotas.known_cost(template.active_version) == 3  # from the import's plan
    set_everyone_allowance(org, 5)
    first, second = create_queued(member, org, template, ["first", "second"])
    assert runner.run(first.job_id) == JobStatus.SUCCEEDED
    assert runner.run(second.job_id) == JobStatus.FAILED
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.daily_cost == 3 and "terraform_data" in managed_types(bytes(first.provisioner_state))
    job = ProvisionerJob.objects.get(pk=second.job_id)
    assert job.error == "insufficient quota"
    lines = list(job.logs.filter(stage="Commit quota").values_list("output", flat=True))
    assert lines == ["Build cost       —   3", "Budget           —   5", "Credits consumed —   3",
                     "This build would exceed your quota. Failing."]
    assert not job.logs.filter(stage="Starting workspace").exists()
    assert second.daily_cost == 0 and "terraform_data" not in managed_types(bytes(second.provisioner_state))
    assert quotas.quota_of(member.pk, org.pk) == quotas.WorkspaceQuota(credits_consumed=3, budget=5)


def test_concurrent_real_workers_never_exceed_the_budget(owner, org, member, settings, tmp_path):
    template = costly_template(owner, org, settings)
    set_everyone_allowance(org, 7)  # room for two machines of 3, not three
    workers = [start_worker(tmp_path), start_worker(tmp_path)]
    try:
        builds = create_queued(member, org, template, ["one", "two", "three"])
        jobs = [b.job_id for b in builds]
        wait_for(lambda: not ProvisionerJob.objects.filter(pk__in=jobs, completed_at__isnull=True).exists(),
                 timeout=300, message="the three builds to finish")
    finally:
        for worker in workers:
            worker.stop()
    outcomes = sorted(ProvisionerJob.objects.filter(pk__in=jobs).values_list("status", "error"))
    assert outcomes == [("failed", "insufficient quota"), ("succeeded", ""), ("succeeded", "")], outcomes
    # Both workers built (the two first builds ran at the same time, one per worker).
    assert ProvisionerJob.objects.filter(pk__in=jobs).values("worker").distinct().count() == 2
    assert quotas.consumed(member.pk, org.pk) == 6
