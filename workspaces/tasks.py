"""Periodic tasks of the workspaces app: the lifecycle executor tick and account dormancy."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="lifecycle.tick", ignore_result=True)
def lifecycle_tick() -> None:
    from coderportal.metrics import definitions as metrics
    from workspaces.lifecycle import executor

    with metrics.autobuild_execution():
        executor.run_once()


@shared_task(name="lifecycle.dormant_users", ignore_result=True)
def dormant_users() -> None:
    from workspaces.lifecycle import dormant_users as job

    job.mark_dormant_users()
