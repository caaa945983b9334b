"""The workspaces admin: RBAC-filtered lists and filters, build actions with per-workspace
results, restart (stop, then start after it succeeded), the two-step create with a form
generated from the template's parameters, and the build page (logs, state download)."""
from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from templates_app.models import JobStatus, TemplateVersionParameter
from tests.templates_app.factories import TemplateFactory
from tests.workspaces.seed import running_workspace
from workspaces.models import Workspace, WorkspaceBuild, WorkspaceBuildParameter
from workspaces.services import restart

CHANGELIST = "/admin/workspaces/workspace/"
ADD = "/admin/workspaces/workspace/add/"


def browser(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.PortalModelBackend")
    return client


@pytest.fixture
def template(org, owner):
    template = TemplateFactory(organization=org, created_by=owner, name="dev")
    version = template.active_version
    TemplateVersionParameter.objects.create(version=version, name="region", type="string", default_value="eu",
                                            mutable=True, options=[{"name": "EU", "value": "eu"},
                                                                   {"name": "US", "value": "us"}])
    TemplateVersionParameter.objects.create(version=version, name="cpu", type="number", default_value="2",
                                            mutable=True, validation_min=1, validation_max=8)
    TemplateVersionParameter.objects.create(version=version, name="gpu", type="bool", default_value="false",
                                            mutable=True)
    TemplateVersionParameter.objects.create(version=version, name="project", type="string", required=True,
                                            mutable=True, validation_regex="^[a-z]+$",
                                            validation_error="lowercase letters only")
    return template


@pytest.fixture
def workspaces(owner, member, template):
    made = {"mine": running_workspace(member, template, "mine"), "boss": running_workspace(owner, template, "boss")}
    for workspace in made.values():
        WorkspaceBuildParameter.objects.create(build=workspace.latest_build, name="project", value="core")
    return made


def test_changelist_is_rbac_filtered_and_filterable(owner, member, workspaces):
    assert "boss" in browser(owner).get(CHANGELIST).content.decode()
    page = browser(member).get(CHANGELIST).content.decode()
    assert "mine" in page and "boss" not in page
    assert browser(member).get(f"{CHANGELIST}{workspaces['boss'].pk}/change/").status_code == 404
    running = browser(owner).get(CHANGELIST, {"status": "running"}).content.decode()
    assert "mine" in running
    assert "mine" not in browser(owner).get(CHANGELIST, {"status": "stopped"}).content.decode()
    assert "boss" not in browser(owner).get(CHANGELIST, {"q": "mine"}).content.decode()


def _act(client, action, *workspaces):
    """Run an admin action; returns the messages shown afterwards."""
    response = client.post(CHANGELIST, {"action": action, "_selected_action": [str(w.pk) for w in workspaces]},
                           follow=True)
    return " | ".join(m.message for m in response.context["messages"])


def test_actions_queue_builds_with_a_result_per_workspace(owner, member, workspaces):
    response = _act(browser(owner), "stop", workspaces["mine"], workspaces["boss"])
    text = response
    assert "mine: stop queued (build #2)" in text and "boss: stop queued (build #2)" in text
    assert WorkspaceBuild.objects.filter(transition="stop", active=True).count() == 2
    again = _act(browser(owner), "start", workspaces["mine"])
    assert "mine: A build is already in progress" in again


def test_member_actions_only_reach_their_workspaces(member, workspaces):
    _act(browser(member), "stop", workspaces["mine"], workspaces["boss"])
    assert list(WorkspaceBuild.objects.filter(transition="stop").values_list("workspace__name", flat=True)) == \
        ["mine"]


def test_update_and_delete_actions(owner, workspaces, template):
    text = _act(browser(owner), "update", workspaces["mine"])
    assert "mine: update queued" in text
    build = WorkspaceBuild.objects.get(workspace=workspaces["boss"])
    build.job.status = JobStatus.SUCCEEDED
    build.job.save()
    text = _act(browser(owner), "delete", workspaces["boss"])
    assert "boss: delete queued" in text
    assert WorkspaceBuild.objects.filter(workspace=workspaces["boss"], transition="delete").exists()


def _finish(build, status=JobStatus.SUCCEEDED):
    build.job.status = status
    build.job.completed_at = timezone.now()
    build.job.save()
    WorkspaceBuild.objects.filter(pk=build.pk).update(active=False)
    build.refresh_from_db()


def test_restart_starts_after_the_stop_succeeded(owner, workspaces, django_capture_on_commit_callbacks):
    text = _act(browser(owner), "restart", workspaces["mine"])
    assert "mine: restart (stop, then start) queued (build #2)" in text
    stop = WorkspaceBuild.objects.get(workspace=workspaces["mine"], transition="stop")
    assert "restart" in stop.job.input
    _finish(stop)
    with django_capture_on_commit_callbacks(execute=True):
        restart.on_build_finished(stop)
    start = WorkspaceBuild.objects.get(workspace=workspaces["mine"], build_number=3)
    assert start.transition == "start" and start.initiator == owner
    with django_capture_on_commit_callbacks(execute=True):
        restart.on_build_finished(stop)  # a duplicate call starts nothing more
    assert WorkspaceBuild.objects.filter(workspace=workspaces["mine"]).count() == 3


def test_restart_does_not_start_after_a_failed_stop(owner, workspaces, django_capture_on_commit_callbacks):
    _act(browser(owner), "restart", workspaces["mine"])
    stop = WorkspaceBuild.objects.get(workspace=workspaces["mine"], transition="stop")
    _finish(stop, JobStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert restart.resume_pending_restarts() == 1
    assert WorkspaceBuild.objects.filter(workspace=workspaces["mine"]).count() == 2


def test_two_step_create(member, template):
    client = browser(member)
    assert "choose a template" in client.get(ADD).content.decode()
    step2 = client.post(ADD, {"template": str(template.pk)}).content.decode()
    assert 'name="param_cpu"' in step2 and 'type="number"' in step2
    assert '<select name="param_region"' in step2 and 'type="checkbox" name="param_gpu"' in step2
    bad = client.post(ADD, {"template": str(template.pk), "step": "2", "owner": str(member.pk), "name": "box",
                            "automatic_updates": "never", "param_region": "eu", "param_cpu": "4",
                            "param_project": "UPPER"})
    assert bad.status_code == 200
    assert bad.context["form"].errors["param_project"] == ["lowercase letters only"]
    assert not Workspace.objects.exists()
    too_big = client.post(ADD, {"template": str(template.pk), "step": "2", "owner": str(member.pk), "name": "box",
                                "automatic_updates": "never", "param_cpu": "99", "param_project": "x"})
    assert "param_cpu" in too_big.context["form"].errors
    good = client.post(ADD, {"template": str(template.pk), "step": "2", "owner": str(member.pk), "name": "box",
                             "automatic_updates": "never", "param_region": "us", "param_cpu": "4",
                             "param_gpu": "on", "param_project": "core"})
    assert good.status_code == 302, good.context["form"].errors if good.context else good
    workspace = Workspace.objects.get(name="box")
    values = {p.name: p.value for p in workspace.latest_build.parameters.all()}
    assert values == {"region": "us", "cpu": "4", "gpu": "true", "project": "core"}


def test_create_for_someone_else_is_refused_for_members(member, owner, template):
    response = browser(member).post(ADD, {"template": str(template.pk), "step": "2", "owner": str(owner.pk),
                                          "name": "box", "automatic_updates": "never", "param_project": "x"})
    assert response.status_code == 200 and not Workspace.objects.exists()


def test_duplicate_name_error_on_the_name_field(member, template, workspaces):
    response = browser(member).post(ADD, {"template": str(template.pk), "step": "2", "owner": str(member.pk),
                                          "name": "mine", "automatic_updates": "never", "param_project": "x"})
    assert "name" in response.context["form"].errors


def test_settings_edit_goes_through_the_service(member, workspaces):
    from accounts.models import AuditLog

    ws = workspaces["mine"]
    response = browser(member).post(f"{CHANGELIST}{ws.pk}/change/", {
        "name": "renamed", "autostart_schedule": "0 9 * * 1-5", "ttl_ms": "1h", "automatic_updates": "always"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    ws.refresh_from_db()
    assert (ws.name, ws.autostart_schedule, ws.ttl_ms, ws.automatic_updates) == \
        ("renamed", "0 9 * * 1-5", 3600000, "always")
    assert AuditLog.objects.filter(resource_type="workspace", action="write").count() == 4
    bad = browser(member).post(f"{CHANGELIST}{ws.pk}/change/", {
        "name": "renamed", "autostart_schedule": "whenever", "ttl_ms": "", "automatic_updates": "always"})
    assert bad.status_code == 200
    assert "autostart_schedule" in bad.context["adminform"].form.errors
    ws.refresh_from_db()
    assert ws.autostart_schedule == "0 9 * * 1-5" and ws.ttl_ms == 3600000


def test_build_page_logs_and_state(owner, member, workspaces):
    build = workspaces["mine"].latest_build
    WorkspaceBuild.objects.filter(pk=build.pk).update(provisioner_state=b'{"version": 4}')
    url = f"/admin/workspaces/workspacebuild/{build.pk}/change/"
    owner_page = browser(owner).get(url).content.decode()
    assert f"/api/v2/workspacebuilds/{build.pk}/logs" in owner_page and "Download terraform.tfstate" in owner_page
    # The page's script polls the JSON logs endpoint with the admin session.
    polled = browser(member).get(f"/api/v2/workspacebuilds/{build.pk}/logs?after=0")
    assert polled.status_code == 200 and polled.json() == []
    member_page = browser(member).get(url).content.decode()
    assert "job-logs" in member_page and "Download terraform.tfstate" not in member_page
    state_url = f"/admin/workspaces/workspacebuild/{build.pk}/state/"
    assert browser(owner).get(state_url).content == b'{"version": 4}'
    assert browser(member).get(state_url).status_code == 404
    assert browser(member).get(f"/admin/workspaces/workspacebuild/{workspaces['boss'].latest_build_id}/change/") \
        .status_code == 404


def test_workspace_page_links_to_the_web_terminal(owner, workspaces):
    from workspaces.models import WorkspaceAgent

    workspace = workspaces["mine"]
    agent = WorkspaceAgent.objects.filter(resource__build_id=workspace.latest_build_id).first()
    assert agent is not None
    page = browser(owner).get(f"/admin/workspaces/workspace/{workspace.pk}/change/").content.decode()
    assert f"/@{workspace.owner.username}/{workspace.name}.{agent.name}/terminal" in page
