"""What a job type must provide to the runner, and the registry of job types.

`templates_app` registers the import and dry-run handlers; the workspaces app registers the
build handler from its AppConfig, so the dependency still points downward.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

SUCCEEDED, FAILED, CANCELED = "succeeded", "failed", "canceled"


@dataclass
class Outcome:
    status: str
    error: str = ""
    error_code: str = ""
    payload: Any = None
    extra: dict = field(default_factory=dict)


class JobHandler(Protocol):
    def run(self, job, workdir: str, emit: Callable, should_cancel: Callable[[], bool]) -> Outcome:
        """Do the work outside any transaction; return the outcome (never raise for expected failures)."""

    def persist(self, job, outcome: Outcome) -> None:
        """Save results inside the runner's final transaction (state always, whatever the outcome)."""

    def checkpoint(self, job, workdir: str) -> None:
        """Called with each heartbeat: save progress (e.g. Terraform state) a crash must not lose."""

    def secrets(self, job) -> list[str]:
        """Values to redact from log output."""

    # Optional: `finished(job)` runs after the outcome is committed (follow-up work).


_HANDLERS: dict[str, JobHandler] = {}


def register(job_type: str, handler: JobHandler) -> None:
    _HANDLERS[job_type] = handler


def handler_for(job_type: str) -> JobHandler:
    try:
        return _HANDLERS[job_type]
    except KeyError:
        raise LookupError(f"no handler registered for job type {job_type!r}") from None
