"""Several executors at once (replicas, or a slow tick overlapping the next) never build one
workspace twice: two executors in two threads, each with its own database connection, race
over 500 due workspaces. Run on SQLite by default and on PostgreSQL when
CODER_PG_CONNECTION_URL is set (the PostgreSQL path is SELECT … FOR UPDATE SKIP LOCKED)."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count

from tests.lifecycle.seed import running_workspaces
from workspaces.lifecycle import executor
from workspaces.models import WorkspaceBuild

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
WORKSPACES = 500


def test_two_executors_racing_build_each_workspace_exactly_once(member, template, daemon, monkeypatch):
    # Nothing runs the queued stop jobs: the builds themselves are what is counted.
    monkeypatch.setattr("templates_app.services.jobs.enqueue", lambda job: None)
    ids = running_workspaces([member], template, WORKSPACES, deadline=DEADLINE)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = executor.run_once(now=DEADLINE + timedelta(minutes=1))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert all(r is not None for r in results), "an executor did not finish"
    assert not results[0].errors and not results[1].errors, (results[0].errors, results[1].errors)
    # Together they stopped every workspace, and no workspace twice.
    acted = list(results[0].transitions) + list(results[1].transitions)
    assert sorted(acted) == sorted(str(i) for i in ids)
    per_workspace = (WorkspaceBuild.objects.filter(workspace_id__in=ids).values("workspace_id")
                     .annotate(n=Count("id")).values_list("n", flat=True))
    assert set(per_workspace) == {2}
    assert WorkspaceBuild.objects.filter(workspace_id__in=ids, transition="stop", reason="autostop").count() \
        == WORKSPACES
