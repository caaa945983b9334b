"""The lifecycle executor, as Coder's lifecycle_executor_test.go and TestWorkspaceAutobuild
test it: each case puts a workspace in a state, runs one tick at an injected time and checks
the transition (or its absence) and the build that was queued."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from notifications import template_ids
from notifications.models import NotificationMessage
from templates_app.models import ProvisionerDaemon, Template
from tests.lifecycle.conftest import latest, new_workspace, set_latest
from workspaces.lifecycle import executor
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.services import activity

pytestmark = pytest.mark.django_db

MON_0800 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def tick(at):
    return executor.run_once(now=at)


# Each case: workspace fields, template fields, owner status, latest build state, tick offset
# from MON_0800, and the expected (transition, reason) or None.
CASES = {
    "AutostartOK": dict(ws={"autostart_schedule": "0 9 * * *"}, build={"transition": "stop"},
                        at=H, want=("start", "autostart")),
    "AutostartLateAfterOutage": dict(ws={"autostart_schedule": "0 9 * * *"}, build={"transition": "stop"},
                                     at=5 * H, want=("start", "autostart")),
    "AutostartTooEarly": dict(ws={"autostart_schedule": "0 9 * * *"}, build={"transition": "stop"},
                              at=H - M, want=None),
    "AutostartBlockedDay": dict(ws={"autostart_schedule": "0 9 * * *"}, build={"transition": "stop"},
                                tmpl={"autostart_requirement_days_of_week": WEEKDAYS[1:]}, at=H, want=None),
    "AutostartTemplateDisabled": dict(ws={"autostart_schedule": "0 9 * * *"}, build={"transition": "stop"},
                                      tmpl={"allow_user_autostart": False}, at=H, want=None),
    "AutostartUserSuspended": dict(ws={"autostart_schedule": "0 9 * * *"}, build={"transition": "stop"},
                                   owner="suspended", at=H, want=None),
    "AutostartUserDormant": dict(ws={"autostart_schedule": "0 9 * * *"}, build={"transition": "stop"},
                                 owner="dormant", at=H, want=None),
    "AutostartWorkspaceDormant": dict(ws={"autostart_schedule": "0 9 * * *", "dormant_at": MON_0800 - D},
                                      build={"transition": "stop"}, at=H, want=None),
    "AutostartAfterFailedBuild": dict(ws={"autostart_schedule": "0 9 * * *"},
                                      build={"transition": "stop", "status": "failed"}, at=H, want=None),
    "AutostartAlreadyRunning": dict(ws={"autostart_schedule": "0 9 * * *"}, build={"transition": "start"},
                                    at=H, want=None),
    "AutostartNotEnabled": dict(ws={}, build={"transition": "stop"}, at=D, want=None),
    "AutostopOK": dict(build={"deadline": MON_0800 + H}, at=H, want=("stop", "autostop")),
    "AutostopBeforeDeadline": dict(build={"deadline": MON_0800 + H}, at=H - M, want=None),
    "AutostopNotEnabled": dict(build={"deadline": None}, at=30 * D, want=None),
    "AutostopAlreadyStopped": dict(build={"transition": "stop", "deadline": MON_0800}, at=H, want=None),
    "AutostopSuspendedUser": dict(build={"deadline": None}, owner="suspended", at=M, want=("stop", "autostop")),
    "AutostopDormantUserKeepsRunning": dict(build={"deadline": None}, owner="dormant", at=M, want=None),
    "FailureTTLOK": dict(build={"status": "failed"}, tmpl={"failure_ttl_ms": 3_600_000}, at=H + M,
                         want=("stop", "autostop")),
    "FailureTTLTooEarly": dict(build={"status": "failed"}, tmpl={"failure_ttl_ms": 3_600_000}, at=H, want=None),
    "DormancyThresholdOK": dict(ws={"last_used_at": MON_0800 - 2 * D}, tmpl={"time_til_dormant_ms": 86_400_000},
                                at=M, want=("stop", "dormancy")),
    "InactiveStoppedWorkspaceNoTransition": dict(ws={"last_used_at": MON_0800 - 2 * D},
                                                 tmpl={"time_til_dormant_ms": 86_400_000},
                                                 build={"transition": "stop"}, at=M, want=("", "dormancy")),
    "DormancyThresholdTooEarly": dict(ws={"last_used_at": MON_0800 - D + H},
                                      tmpl={"time_til_dormant_ms": 86_400_000}, at=M, want=None),
    "DormantTTLOK": dict(ws={"dormant_at": MON_0800 - 8 * D, "deleting_at": MON_0800 - D},
                         tmpl={"time_til_dormant_autodelete_ms": 7 * 86_400_000}, build={"transition": "stop"},
                         at=M, want=("delete", "autodelete")),
    "DormantTTLTooEarly": dict(ws={"dormant_at": MON_0800 - D, "deleting_at": MON_0800 + 6 * D},
                               tmpl={"time_til_dormant_autodelete_ms": 7 * 86_400_000},
                               build={"transition": "stop"}, at=M, want=None),
    "ActiveWorkspacesNotDeleted": dict(ws={"deleting_at": MON_0800 - D},
                                       tmpl={"time_til_dormant_autodelete_ms": 86_400_000},
                                       build={"transition": "stop"}, at=M, want=None),
    "FailedDeleteRetryDaily/TooEarly": dict(
        ws={"dormant_at": MON_0800 - 8 * D, "deleting_at": MON_0800 - D},
        tmpl={"time_til_dormant_autodelete_ms": 86_400_000}, build={"transition": "delete", "status": "failed"},
        at=23 * H, want=None),
    "FailedDeleteRetryDaily/OK": dict(
        ws={"dormant_at": MON_0800 - 8 * D, "deleting_at": MON_0800 - D},
        tmpl={"time_til_dormant_autodelete_ms": 86_400_000}, build={"transition": "delete", "status": "failed"},
        at=D + M, want=("delete", "autodelete")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_executor_cases(name, owner, member, org, template, daemon):
    case = CASES[name]
    Template.objects.filter(pk=template.pk).update(**case.get("tmpl", {}))
    workspace = new_workspace(member, org, template)
    set_latest(workspace, created_at=MON_0800, **{"transition": "start", **case.get("build", {})})
    Workspace.objects.filter(pk=workspace.pk).update(**case.get("ws", {}))
    if "owner" in case:
        User.objects.filter(pk=member.pk).update(status=case["owner"])
    before = WorkspaceBuild.objects.filter(workspace=workspace).count()
    stats = tick(MON_0800 + case["at"])
    want = case["want"]
    assert not stats.errors, stats.errors
    if want is None:
        assert str(workspace.pk) not in stats.transitions
        assert WorkspaceBuild.objects.filter(workspace=workspace).count() == before
        return
    transition, reason = want
    assert stats.transitions == {str(workspace.pk): transition}
    if transition:
        build = latest(workspace)
        assert (build.transition, build.reason, build.initiator_id) == (transition, reason, None)
        assert build.job.status == "pending"
    else:
        assert WorkspaceBuild.objects.filter(workspace=workspace).count() == before
    if reason == "dormancy":
        assert Workspace.objects.get(pk=workspace.pk).dormant_at == MON_0800 + case["at"]


def test_deleted_workspaces_are_ignored(member, org, template, daemon):
    workspace = new_workspace(member, org, template)
    set_latest(workspace, created_at=MON_0800, deadline=MON_0800)
    Workspace.objects.filter(pk=workspace.pk).update(deleted=True)
    assert tick(MON_0800 + H).candidates == 0


def test_extend_moves_the_stop(client_for, member, org, template, daemon):
    """TestExecutorAutostopExtend: the old deadline does nothing once extended."""
    workspace = new_workspace(member, org, template)
    set_latest(workspace, created_at=MON_0800, deadline=MON_0800 + H)
    WorkspaceBuild.objects.filter(workspace=workspace).update(deadline=MON_0800 + H + 30 * M)
    assert tick(MON_0800 + H).transitions == {}
    assert tick(MON_0800 + H + 30 * M).transitions == {str(workspace.pk): "stop"}


def test_activity_bump_is_capped_by_max_deadline(member, org, template, daemon):
    workspace = new_workspace(member, org, template)
    set_latest(workspace, created_at=MON_0800, deadline=MON_0800 + 10 * M, max_deadline=MON_0800 + 30 * M)
    assert activity.bump(workspace.pk, now=MON_0800, source="ssh")
    assert latest(workspace).deadline == MON_0800 + 30 * M
    assert Workspace.objects.get(pk=workspace.pk).last_bump_source == "ssh"
    assert tick(MON_0800 + 29 * M).transitions == {}
    assert tick(MON_0800 + 30 * M).transitions == {str(workspace.pk): "stop"}


def test_no_available_provisioner_skips_without_error(member, org, template, daemon, caplog):
    ProvisionerDaemon.objects.update(last_seen_at=timezone.now() - D)  # liveness is real time
    workspace = new_workspace(member, org, template)
    set_latest(workspace, created_at=MON_0800, deadline=MON_0800)
    with caplog.at_level("INFO", logger="workspaces.lifecycle.executor"):
        stats = tick(MON_0800 + M)
    assert stats.transitions == {} and stats.errors == {}
    assert stats.skipped == {str(workspace.pk): "no provisioners"}
    assert "no available provisioners" in caplog.text


@pytest.mark.parametrize("automatic_updates, require_active, uses_new", [
    ("never", False, False), ("always", False, True), ("never", True, True)])
def test_autostart_uses_the_active_version_when_required(
        owner, member, org, template, daemon, django_capture_on_commit_callbacks, automatic_updates,
        require_active, uses_new):
    from tests.workspaces.api_helpers import new_version

    workspace = new_workspace(member, org, template, autostart_schedule="0 9 * * *",
                              automatic_updates=automatic_updates)
    set_latest(workspace, transition="stop", created_at=MON_0800)
    old = latest(workspace).template_version_id
    newer = new_version(owner, org, django_capture_on_commit_callbacks, template=template)
    Template.objects.filter(pk=template.pk).update(active_version=newer, require_active_version=require_active)
    assert tick(MON_0800 + H).transitions == {str(workspace.pk): "start"}
    assert latest(workspace).template_version_id == (newer.pk if uses_new else old)


def test_autostart_incompatible_active_version_builds_nothing(owner, member, org, template, daemon,
                                                               django_capture_on_commit_callbacks):
    """TestExecutorAutostartTemplateUpdated/Always_Incompatible, and resolve-autostart says why."""
    from tests.workspaces.api_helpers import PARAMETERS, new_version, script

    workspace = new_workspace(member, org, template, autostart_schedule="0 9 * * *", automatic_updates="always")
    set_latest(workspace, transition="stop", created_at=MON_0800)
    extra = {"name": "region2", "type": "string", "required": True, "mutable": False}
    newer = new_version(owner, org, django_capture_on_commit_callbacks,
                        data=script(parse={"parameters": [*PARAMETERS, extra]}), template=template)
    Template.objects.filter(pk=template.pk).update(active_version=newer)
    before = WorkspaceBuild.objects.filter(workspace=workspace).count()
    stats = tick(MON_0800 + H)
    assert stats.transitions == {} and str(workspace.pk) in stats.errors
    assert WorkspaceBuild.objects.filter(workspace=workspace).count() == before


def test_failed_autostart_is_retried_with_backoff_then_given_up(member, org, template, daemon, settings,
                                                                 monkeypatch):
    monkeypatch.setenv("CODER_AUTOBUILD_AUTOSTART_RETRIES", "2")
    monkeypatch.setenv("CODER_AUTOBUILD_AUTOSTART_RETRY_BACKOFF", "5m")
    workspace = new_workspace(member, org, template, autostart_schedule="0 9 * * *")
    set_latest(workspace, transition="start", status="failed", reason="autostart", created_at=MON_0800 + H)
    assert tick(MON_0800 + H + 4 * M).transitions == {}
    assert tick(MON_0800 + H + 5 * M).transitions == {str(workspace.pk): "start"}
    set_latest(workspace, transition="start", status="failed", reason="autostart", created_at=MON_0800 + H + 6 * M)
    assert tick(MON_0800 + H + 15 * M).transitions == {}  # second retry waits 10 minutes
    assert tick(MON_0800 + H + 16 * M).transitions == {str(workspace.pk): "start"}
    set_latest(workspace, transition="start", status="failed", reason="autostart", created_at=MON_0800 + 2 * H)
    assert tick(MON_0800 + 5 * H).transitions == {}  # two retries spent: give up (as Coder, from here)


def test_dormancy_then_autodelete(member, org, template, daemon):
    """WorkspaceInactiveDeleteTransition: running -> stop + dormant -> delete after the TTL."""
    Template.objects.filter(pk=template.pk).update(time_til_dormant_ms=86_400_000,
                                                   time_til_dormant_autodelete_ms=7 * 86_400_000)
    workspace = new_workspace(member, org, template)
    set_latest(workspace, created_at=MON_0800 - 3 * D)
    Workspace.objects.filter(pk=workspace.pk).update(last_used_at=MON_0800 - 2 * D)
    assert tick(MON_0800).transitions == {str(workspace.pk): "stop"}
    row = Workspace.objects.get(pk=workspace.pk)
    assert (row.dormant_at, row.deleting_at) == (MON_0800, MON_0800 + 7 * D)
    set_latest(workspace, transition="stop", created_at=MON_0800)
    assert tick(MON_0800 + 7 * D).transitions == {}  # deleting_at not passed yet
    assert tick(MON_0800 + 7 * D + M).transitions == {str(workspace.pk): "delete"}
    assert latest(workspace).reason == "autodelete"
    # The owner is told both times (Coder's templates), in the inbox at least.
    told = NotificationMessage.objects.filter(user=member, method="inbox")
    dormant = told.get(template_id=template_ids.WORKSPACE_DORMANT)
    assert dormant.payload["labels"] == {"name": workspace.name, "reason": "inactivity exceeded the dormancy threshold",
                                         "timeTilDelete": "7 days"}
    deleted = told.get(template_id=template_ids.WORKSPACE_DELETED)
    assert deleted.payload["labels"]["initiator"] == "autobuild"


def test_autostop_requirement_across_a_dst_change(member, org, template, daemon):
    """Quiet hours 02:30 Sydney on the spring-forward Sunday do not exist: the stop comes on
    Monday 02:30 (robfig/cron semantics), and the executor stops the workspace then."""
    from zoneinfo import ZoneInfo

    from workspaces.lifecycle import deadlines

    syd = ZoneInfo("Australia/Sydney")
    Template.objects.filter(pk=template.pk).update(autostop_requirement_days_of_week=["sunday"])
    User.objects.filter(pk=member.pk).update(quiet_hours_schedule="CRON_TZ=Australia/Sydney 30 2 * * *")
    started = datetime(2023, 9, 28, 12, 0, tzinfo=syd)
    workspace = new_workspace(member, org, template)
    build = set_latest(workspace, created_at=started)
    deadlines.on_build_completed(build, succeeded=True, now=started)
    build = latest(workspace)
    stop_at = datetime(2023, 10, 2, 2, 30, tzinfo=syd)
    assert build.deadline == build.max_deadline == stop_at
    assert tick(stop_at - M).transitions == {}
    assert tick(stop_at).transitions == {str(workspace.pk): "stop"}


def test_prefilter_is_one_query_whatever_the_number_of_workspaces(member, template, daemon,
                                                                  django_assert_num_queries):
    from tests.lifecycle.seed import running_workspaces

    running_workspaces([member], template, 40, deadline=MON_0800 + D, prefix="idle")
    due = running_workspaces([member], template, 5, deadline=MON_0800, prefix="due")
    with django_assert_num_queries(1):
        assert sorted(executor.prefilter(MON_0800 + M)) == sorted(due)
    running_workspaces([member], template, 200, deadline=MON_0800 + D, prefix="more")
    with django_assert_num_queries(1):
        assert len(list(executor.prefilter(MON_0800 + M))) == 5
    executor.run_once(now=MON_0800 + M)
    with django_assert_num_queries(1):  # a quiet tick: the pre-filter and nothing else
        assert executor.run_once(now=MON_0800 + 2 * M).candidates == 0
