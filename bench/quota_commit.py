#!/usr/bin/env python
"""Cost of the quota commit (between plan and apply) and of reading a quota.

Seeds the same world as `workspace_list.py` (100 users in 5 organizations, workspaces with a
finished start build each, written with bulk_create), turns quotas on (an allowance on every
"Everyone" group), then measures in-process:

1. `quotas.commit(job, cost)` for one user — lock, consumption over their workspaces,
   allowance, previous build, write — against the baseline it replaces (writing the build's
   `daily_cost` in a transaction), at 100 workspaces and at the full size: latency and queries;
2. commits from N threads at once, all for one user (they take turns on the lock) and for N
   different users (they do not): commits per second and the ratio;
3. `GET /api/v2/organizations/{org}/members/{user}/workspace-quota` latency and queries.

    CODER_PG_CONNECTION_URL=postgresql://postgres@127.0.0.1:5432/coderportal_bench \\
        .venv/bin/python bench/quota_commit.py --workspaces 10000
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workspace_list import World, ensure_database, setup_django, wipe  # noqa: E402


def timed(fn, repeat: int) -> dict:
    from django.db import connection

    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    fn()
    with connection.execute_wrapper(count):
        fn()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"p50": statistics.median(timings), "p95": timings[max(0, int(len(timings) * 0.95) - 1)],
            "queries": len(executed)}


def one_user(world: World, user_index: int):
    from workspaces.models import WorkspaceBuild

    user = world.users[user_index]
    return user, WorkspaceBuild.objects.filter(workspace__owner=user).values_list("job_id", flat=True).first()


def commit_rows(world: World, repeat: int) -> list[tuple]:
    from django.db import transaction

    from workspaces.models import WorkspaceBuild
    from workspaces.services import quotas

    user, job_id = one_user(world, 0)

    def baseline():
        with transaction.atomic():
            WorkspaceBuild.objects.filter(job_id=job_id).update(daily_cost=1)

    base = timed(baseline, repeat)
    commit = timed(lambda: quotas.commit(job_id, 1), repeat)
    workspaces = WorkspaceBuild.objects.filter(workspace__owner=user).count()
    return [(world.count, workspaces, commit["p50"], commit["p95"], commit["queries"], base["p50"],
             base["queries"], commit["p50"] / base["p50"])]


def contention(world: World, threads: int, per_thread: int) -> dict:
    from django.db import connection

    from workspaces.services import quotas

    def run(jobs) -> float:
        barrier = threading.Barrier(len(jobs))

        def work(job_id):
            barrier.wait()
            try:
                for _ in range(per_thread):
                    quotas.commit(job_id, 1)
            finally:
                connection.close()

        workers = [threading.Thread(target=work, args=(j,)) for j in jobs]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return len(jobs) * per_thread / (time.perf_counter() - started)

    from workspaces.models import WorkspaceBuild

    same_user = list(WorkspaceBuild.objects.filter(workspace__owner=world.users[0])
                     .values_list("job_id", flat=True)[:threads])
    different = [one_user(world, i)[1] for i in range(1, threads + 1)]
    return {"same": run(same_user), "different": run(different)}


def read_quota(world: World, repeat: int) -> dict:
    from django.test import Client

    from accounts.services.tokens import issue_token_for_tests

    user = world.users[0]
    org = user.memberships.get().organization
    client = Client()
    headers = {"HTTP_CODER_SESSION_TOKEN": issue_token_for_tests(user)}
    url = f"/api/v2/organizations/{org.id}/members/me/workspace-quota"
    assert client.get(url, **headers).status_code == 200
    return timed(lambda: client.get(url, **headers), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    ensure_database()
    setup_django(tempfile.mkdtemp(prefix="bench-quota-"))
    from django.db import connection

    from accounts.models import Group

    wipe()
    world = World(args.orgs, args.users)
    Group.objects.filter(pk__in=[o.pk for o in world.orgs]).update(quota_allowance=1_000_000)
    print(f"database: {connection.vendor}")
    print("| workspaces (all / this user) | commit p50 ms | p95 ms | queries | baseline p50 ms | baseline queries "
          "| commit : baseline |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size in sorted({min(args.users, args.workspaces), args.workspaces}):
        world.grow(size)
        for row in commit_rows(world, args.repeat):
            print("| {} / {} | {:.2f} | {:.2f} | {} | {:.2f} | {} | {:.1f}x |".format(*row))
    rates = contention(world, args.threads, max(5, args.repeat // 10))
    print(f"\n{args.threads} threads committing at once: one user {rates['same']:.0f} commits/s, "
          f"{args.threads} users {rates['different']:.0f} commits/s "
          f"(ratio {rates['different'] / rates['same']:.2f})")
    read = read_quota(world, args.repeat)
    print(f"GET workspace-quota: p50 {read['p50']:.2f} ms, p95 {read['p95']:.2f} ms, {read['queries']} queries")


if __name__ == "__main__":
    main()
