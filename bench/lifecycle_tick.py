#!/usr/bin/env python
"""One lifecycle-executor tick over 10,000 workspaces of which 100 are due (their deadline
passed): wall time and SQL query count, against two baselines measured in the same run.

    CODER_PG_CONNECTION_URL=postgresql://postgres@127.0.0.1:5432/coderportal_bench \\
        .venv/bin/python bench/lifecycle_tick.py --workspaces 10000 --due 100

Rows are written with bulk_create (each workspace has a succeeded start build; 100 have a
deadline in the past, the rest one in the future). A provisioner daemon row is marked live so
the executor builds. The executor runs in-process; every SQL statement is counted with an
execute wrapper. Build jobs go to the embedded broker in a temporary data directory (leave
CODER_REDIS_URL unset: nothing should consume 100 stop jobs in a shared Redis). Printed:

- the pre-filter alone (must be 1 query whatever the number of workspaces);
- the tick that stops the 100 due workspaces (pre-filter + per-workspace lock, re-check, build);
- the next tick (nothing due: the steady state of a quiet deployment);
- baseline: deciding every workspace one by one without the pre-filter (what a naive
  executor does), so the ratio shows what the pre-filter saves.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from workspace_list import ensure_database, setup_django, wipe  # noqa: E402


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measured(fn):
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
    return result, elapsed, counter.count


def seed(workspaces: int, due: int, now):
    import uuid

    from accounts.models import OrganizationMember, User
    from accounts.services import organizations
    from accounts.services import users as user_services
    from templates_app.models import (
        File,
        JobStatus,
        JobType,
        ProvisionerDaemon,
        ProvisionerJob,
        Template,
        TemplateVersion,
    )
    from tests.lifecycle.seed import running_workspaces

    owner, _ = user_services.create_first_user(username="admin", email="admin@example.com",
                                               password="bench-password-42")
    org = organizations.default_organization()
    users = User.objects.bulk_create([User(username=f"user{i}", email=f"user{i}@example.com", status="active",
                                           password="!") for i in range(100)])
    OrganizationMember.objects.bulk_create([OrganizationMember(user=u, organization=org) for u in users])
    file = File.objects.create(hash=uuid.uuid4().hex, mimetype="application/x-tar", size=1, data=b"x",
                               created_by=owner)
    job = ProvisionerJob.objects.create(organization=org, initiator=owner, file=file,
                                        type=JobType.TEMPLATE_VERSION_IMPORT, status=JobStatus.SUCCEEDED)
    version = TemplateVersion.objects.create(organization=org, name="v1", file=file, job=job, created_by=owner)
    template = Template.objects.create(organization=org, name="dev", active_version=version, created_by=owner,
                                       time_til_dormant_ms=30 * 86_400_000)
    TemplateVersion.objects.filter(pk=version.pk).update(template=template)
    template.refresh_from_db()
    running_workspaces(users, template, workspaces - due, deadline=now + timedelta(hours=8), prefix="idle")
    running_workspaces(users, template, due, deadline=now - timedelta(minutes=5), prefix="due")
    from workspaces.models import Workspace

    Workspace.objects.update(last_used_at=now)  # recently used: not dormancy candidates
    ProvisionerDaemon.objects.create(name="bench-daemon", tags={}, last_seen_at=now)


def naive_tick(tick):
    """Baseline: load every workspace and decide it in Python (no pre-filter, no locks)."""
    from workspaces.lifecycle import eligibility, executor
    from workspaces.lifecycle.schedule import TemplateSchedule
    from workspaces.models import Workspace

    retry = executor.retry_policy()
    due = 0
    for workspace in Workspace.objects.filter(deleted=False).select_related("owner", "template",
                                                                              "latest_build__job").iterator(2000):
        snap = executor.snapshot(workspace, TemplateSchedule.of(workspace.template), retry)
        due += eligibility.next_transition(snap, tick, retry) is not None
    return due


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100)
    args = parser.parse_args()

    ensure_database()
    with tempfile.TemporaryDirectory(prefix="coderportal-bench-") as data_dir:
        run(args, data_dir)


def run(args, data_dir: str) -> None:
    setup_django(data_dir)
    from django.db import connection
    from django.utils import timezone

    from workspaces.lifecycle import executor
    from workspaces.lifecycle.schedule import truncate_minute

    wipe()
    now = timezone.now()
    seeded = time.perf_counter()
    seed(args.workspaces, args.due, now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor}; seeded {args.workspaces} workspaces, {args.due} due "
          f"({time.perf_counter() - seeded:.1f}s)")
    tick = truncate_minute(now)

    ids, t_pre, q_pre = measured(lambda: list(executor.prefilter(tick)))
    due_count, t_naive, q_naive = measured(lambda: naive_tick(tick))
    from templates_app.models import ProvisionerDaemon

    ProvisionerDaemon.objects.update(last_seen_at=timezone.now())  # seeding took longer than "offline after"
    stats, t_tick, q_tick = measured(lambda: executor.run_once(now=now))
    quiet, t_quiet, q_quiet = measured(lambda: executor.run_once(now=now))
    assert len(ids) == args.due and due_count == args.due, (len(ids), due_count)
    assert len(stats.transitions) == args.due and not stats.errors, stats.errors
    per = (q_tick - q_pre) / max(1, args.due)
    print()
    print("| step | candidates | actions | SQL queries | ms |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| pre-filter alone | {len(ids)} | – | {q_pre} | {t_pre * 1000:.1f} |")
    print(f"| tick (stops the due ones) | {stats.candidates} | {len(stats.transitions)} | {q_tick} "
          f"| {t_tick * 1000:.0f} |")
    print(f"| next tick (nothing due) | {quiet.candidates} | {len(quiet.transitions)} | {q_quiet} "
          f"| {t_quiet * 1000:.1f} |")
    print(f"| baseline: decide every workspace, no pre-filter | {args.workspaces} | ({due_count} due) "
          f"| {q_naive} | {t_naive * 1000:.0f} |")
    print()
    print(f"queries per acted-on workspace: {per:.1f}; ms per acted-on workspace: "
          f"{(t_tick - t_pre) * 1000 / max(1, args.due):.1f}")
    print(f"quiet tick vs naive decision of every workspace: {t_naive / max(t_quiet, 1e-9):.0f}x faster")


if __name__ == "__main__":
    main()
