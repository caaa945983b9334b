"""Workspace quotas: the allowance / consumption math, the cost commit between plan and apply
(run by the job runner with the scripted echo provisioner), and concurrent commits."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.services.audit import Actor
from tests.factories import OrganizationFactory, UserFactory, add_member
from tests.workspaces.helpers import import_version
from tests.workspaces.quota_helpers import costly_echo, echo_cost_template, group_with, set_everyone_allowance
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.services import builds as build_services
from workspaces.services import quotas
from workspaces.services import workspaces as workspace_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def echo(settings, monkeypatch):
    monkeypatch.setenv("CODER_ENABLE_ECHO_PROVISIONER", "true")
    settings.CELERY_TASK_ALWAYS_EAGER = True


def create(owner, org, template, name, actor_user=None):
    actor = Actor.for_user(actor_user or owner)
    return workspace_services.create_workspace(actor=actor, organization=org, owner=owner, name=name,
                                               template_id=template.pk)


def latest(workspace) -> WorkspaceBuild:
    return WorkspaceBuild.objects.select_related("job").filter(workspace=workspace).order_by("-build_number").first()


# -- pure rule -----------------------------------------------------------------------------------
@pytest.mark.parametrize("consumed_now, cost, budget, previous_cost, refused", [
    (0, 5, 5, None, False),      # exactly at the budget is fine
    (0, 6, 5, None, True),       # first build over the budget
    (3, 3, 5, None, True),       # the other workspaces already use 3
    (3, 2, 5, 0, False),
    (9, 4, 5, 4, True),          # over budget and not cheaper than before
    (9, 3, 5, 4, False),         # over budget but cheaper than the previous build: allowed
    (100, 100, -1, None, False), # quotas off: never refused
])
def test_would_exceed(consumed_now, cost, budget, previous_cost, refused):
    assert quotas.would_exceed(consumed_now=consumed_now, cost=cost, budget=budget,
                               previous_cost=previous_cost) is refused


# -- allowance ----------------------------------------------------------------------------------
@pytest.mark.parametrize("everyone, groups, expected", [
    (0, [], 0),
    (4, [], 4),                                  # Everyone counts for every member
    (4, [(3, True), (5, False)], 7),             # only groups the user is in
    (0, [(3, True), (2, True)], 5),
    (1, [(0, True)], 1),
])
def test_allowance_sums_the_users_groups_in_the_organization(owner, org, member, everyone, groups, expected):
    set_everyone_allowance(org, everyone)
    for index, (allowance, joined) in enumerate(groups):
        group_with(owner, org, f"g{index}", allowance, members=[member] if joined else [])
    assert quotas.allowance(member.pk, org.pk) == expected
    assert quotas.quota_of(member.pk, org.pk).budget == (expected if quotas.quotas_enabled(org.pk) else -1)
    assert quotas.quotas_of_members(org.pk, [member.pk])[member.pk] == quotas.quota_of(member.pk, org.pk)


def test_allowance_is_per_organization_and_members_only(owner, org, member):
    elsewhere = OrganizationFactory(name="elsewhere")
    add_member(member, elsewhere)
    set_everyone_allowance(elsewhere, 50)
    group_with(owner, elsewhere, "rich", 100, members=[member])
    set_everyone_allowance(org, 2)
    stranger = UserFactory(username="stranger")
    assert quotas.allowance(member.pk, org.pk) == 2
    assert quotas.allowance(member.pk, elsewhere.pk) == 150
    assert quotas.allowance(stranger.pk, org.pk) == 0  # not a member: no Everyone allowance
    assert quotas.quotas_of_members(org.pk, [stranger.pk]) == {}


# -- consumption --------------------------------------------------------------------------------
def test_consumption_sums_the_latest_build_of_each_live_workspace(owner, org, member):
    set_everyone_allowance(org, 100)
    running = echo_cost_template(owner, org, 3, name="running")
    volume = echo_cost_template(owner, org, 4, stop_cost=1, name="volume")
    create(member, org, running, "a")
    stopped = create(member, org, volume, "b")
    build_services.request_build(stopped, actor=Actor.for_user(member), transition="stop")
    gone = create(member, org, running, "c")
    Workspace.objects.filter(pk=gone.pk).update(deleted=True)
    create(owner, org, running, "someone-else")
    elsewhere = OrganizationFactory(name="elsewhere")
    add_member(member, elsewhere)
    add_member(owner, elsewhere)
    create(member, elsewhere, echo_cost_template(owner, elsewhere, 9, name="far"), "far")

    assert latest(stopped).transition == "stop" and latest(stopped).daily_cost == 1
    assert quotas.consumed(member.pk, org.pk) == 3 + 1
    assert quotas.quota_of(member.pk, org.pk) == quotas.WorkspaceQuota(credits_consumed=4, budget=100)
    assert quotas.consumed(member.pk, elsewhere.pk) == 9
    assert quotas.quotas_of_members(org.pk, [member.pk, owner.pk]) == {
        member.pk: quotas.WorkspaceQuota(4, 100), owner.pk: quotas.WorkspaceQuota(3, 100)}


def test_quotas_of_members_costs_a_constant_number_of_queries(owner, org, django_assert_max_num_queries):
    set_everyone_allowance(org, 10)
    template = echo_cost_template(owner, org, 1)
    users = []
    for index in range(12):
        user = UserFactory(username=f"m{index}")
        add_member(user, org)
        group_with(owner, org, f"team{index}", index, members=[user])
        create(user, org, template, "ws", actor_user=owner)
        users.append(user)
    with django_assert_max_num_queries(5):
        result = quotas.quotas_of_members(org.pk, [u.pk for u in users])
    assert [result[u.pk].budget for u in users] == [10 + i for i in range(12)]
    assert {result[u.pk].credits_consumed for u in users} == {1}


# -- the commit between plan and apply ----------------------------------------------------------
def test_unlimited_organization_records_costs_and_refuses_nothing(owner, org, member):
    template = echo_cost_template(owner, org, 100)
    workspace = create(member, org, template, "big")
    build = latest(workspace)
    assert build.job.status == "succeeded" and build.daily_cost == 100
    assert quotas.quota_of(member.pk, org.pk) == quotas.WorkspaceQuota(credits_consumed=100, budget=-1)
    logs = list(build.job.logs.filter(stage="Commit quota").values_list("output", flat=True))
    assert logs == ["Build cost       —   100", "Budget           —   unlimited", "Credits consumed —   100"]


def test_start_over_budget_fails_at_commit_with_coders_log_line(owner, org, member):
    set_everyone_allowance(org, 5)
    first = create(member, org, echo_cost_template(owner, org, 3, name="known"), "first")
    assert latest(first).job.status == "succeeded" and latest(first).daily_cost == 3
    # A version whose cost nothing knew in advance: the request passes, the commit refuses.
    hidden = echo_cost_template(owner, org, 3, name="hidden")
    hidden.active_version.resources = []
    hidden.active_version.save(update_fields=["resources"])
    second = create(member, org, hidden, "second")
    build = latest(second)
    assert build.job.status == "failed" and build.job.error == "insufficient quota"
    assert build.daily_cost == 0 and not build.resources.exists()
    logs = list(build.job.logs.filter(stage="Commit quota").values_list("level", "output"))
    assert logs == [("info", "Build cost       —   3"), ("info", "Budget           —   5"),
                    ("info", "Credits consumed —   3"), ("warn", "This build would exceed your quota. Failing.")]
    assert quotas.consumed(member.pk, org.pk) == 3


def test_stop_and_delete_are_never_blocked(owner, org, member):
    set_everyone_allowance(org, 10)
    workspace = create(member, org, echo_cost_template(owner, org, 6, stop_cost=6), "dev")
    set_everyone_allowance(org, 1)  # the admin cut the budget below what already runs
    actor = Actor.for_user(member)
    stop = build_services.request_build(workspace, actor=actor, transition="stop")
    stop.refresh_from_db()
    assert stop.job.status == "succeeded" and stop.daily_cost == 6  # Coder would refuse this stop
    delete = build_services.request_build(workspace, actor=actor, transition="delete")
    delete.refresh_from_db()
    assert delete.job.status == "succeeded" and delete.daily_cost == 0
    assert not delete.job.logs.filter(stage="Commit quota").exists()
    assert quotas.consumed(member.pk, org.pk) == 0


def test_cheaper_start_is_allowed_over_budget(owner, org, member):
    set_everyone_allowance(org, 10)
    big = echo_cost_template(owner, org, 8, stop_cost=8, name="big")
    workspace = create(member, org, big, "dev")
    build_services.request_build(workspace, actor=Actor.for_user(member), transition="stop")
    set_everyone_allowance(org, 1)
    cheaper = import_version(Actor.for_user(owner), org, costly_echo(5), template=big, provisioner="echo")
    start = build_services.request_build(workspace, actor=Actor.for_user(member), transition="start",
                                         template_version_id=cheaper.pk)
    start.refresh_from_db()
    assert start.job.status == "succeeded" and start.daily_cost == 5  # 5 < 8: a net decrease


# -- concurrency ---------------------------------------------------------------------------------
def test_concurrent_commits_never_exceed_the_budget(owner, org, member, monkeypatch):
    """Twelve builds commit at once (each costs 3, the budget is 10): exactly three pass."""
    set_everyone_allowance(org, 10)
    template = echo_cost_template(owner, org, 3)
    template.active_version.resources = []  # no up-front refusal: every build reaches its commit
    template.active_version.save(update_fields=["resources"])
    monkeypatch.setattr("templates_app.services.jobs.enqueue", lambda job: None)  # builds stay pending
    jobs = [latest(create(member, org, template, f"w{i}")).job_id for i in range(12)]
    barrier = threading.Barrier(len(jobs))
    answers, lock = [], threading.Lock()

    def commit(job_id):
        barrier.wait()
        try:
            answer = quotas.commit(job_id, 3).ok
        except Exception as exc:  # anything else is a bug the test must show
            answer = repr(exc)
        finally:
            connection.close()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=commit, args=(job_id,)) for job_id in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers, key=str) == [False] * 9 + [True] * 3, answers
    assert quotas.consumed(member.pk, org.pk) == 9
    assert WorkspaceBuild.objects.filter(job_id__in=jobs, daily_cost=3).count() == 3


def test_commit_gives_up_when_the_lock_stays_held(owner, org, member, monkeypatch):
    """A commit stuck behind another one fails with Coder's message instead of waiting forever."""
    set_everyone_allowance(org, 10)
    template = echo_cost_template(owner, org, 3)
    monkeypatch.setattr("templates_app.services.jobs.enqueue", lambda job: None)
    job_id = latest(create(member, org, template, "waiting")).job_id
    held, release = threading.Event(), threading.Event()

    def hold():
        from django.db import transaction

        try:
            with transaction.atomic():  # SQLite: BEGIN IMMEDIATE holds the write lock
                quotas._lock(member.pk, org.pk)  # PostgreSQL: the advisory lock
                held.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        monkeypatch.setattr(quotas, "LOCK_TIMEOUT_SECONDS", 0.3)
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            connection.connection.execute("PRAGMA busy_timeout = 300")
        with pytest.raises(quotas.QuotaLockTimeout, match="timed out after 0.3s waiting for workspace quota lock"):
            quotas.commit(job_id, 3)
    finally:
        release.set()
        holder.join(60)
        if connection.vendor == "sqlite":
            connection.connection.execute("PRAGMA busy_timeout = 30000")
    assert quotas.commit(job_id, 3).ok  # once released, the commit goes through


def test_commit_and_read_cost_the_same_queries_for_one_or_many_workspaces(owner, org, member, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    set_everyone_allowance(org, 1000)
    group_with(owner, org, "devs", 1, members=[member])
    template = echo_cost_template(owner, org, 1)
    monkeypatch.setattr("templates_app.services.jobs.enqueue", lambda job: None)

    reader = Actor.for_user(member)

    def counted(job_id) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as commit_queries:
            assert quotas.commit(job_id, 1).ok
        with CaptureQueriesContext(connection) as read_queries:
            quotas.read_quota(org, member, actor=reader)
        return len(commit_queries), len(read_queries)

    first = counted(latest(create(member, org, template, "w0")).job_id)
    jobs = [latest(create(member, org, template, f"w{i}")).job_id for i in range(1, 15)]
    for job_id in jobs[:-1]:
        quotas.commit(job_id, 1)
    assert counted(jobs[-1]) == first
    assert first[0] <= 10 and first[1] <= 5, first  # PostgreSQL: two more for the lock


def test_known_cost_errs_low_when_costs_depend_on_parameters(owner, org, member):
    """One user chose a big machine of this version: a member's small one is not refused for it."""
    set_everyone_allowance(org, 5)
    template = echo_cost_template(owner, org, 2)
    version = template.active_version
    assert quotas.known_cost(version) == 2  # from the import plan (defaults)
    big = create(owner, org, template, "big")
    WorkspaceBuild.objects.filter(workspace=big).update(daily_cost=10)  # as if its parameters cost 10
    small = create(member, org, template, "small")
    assert quotas.known_cost(version) == 2  # the lowest successful start
    assert quotas.known_cost(version, big) == 10  # the workspace's own last start
    assert quotas.known_cost(version, small) == 2
    with pytest.raises(quotas.QuotaExceeded):
        quotas.check_start(owner_id=owner.pk, organization_id=org.pk, version=version, workspace=big)
    quotas.check_start(owner_id=member.pk, organization_id=org.pk, version=version)  # 2 + 2 <= 5
