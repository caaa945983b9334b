"""Committing a build's daily cost between plan and apply (Coder's `commitQuota` step).

The provisioner knows what the plan will cost (the `daily_cost` of `coder_metadata` on the
planned resources) but not the budget: the caller passes a `commit_quota(cost)` callable
that checks the owner's budget and records the cost, and answers with a `QuotaResponse`.
A refused commit ends the build before anything is applied. Start and stop builds commit
(a stop's cost is what persists, e.g. volumes); deletes never do, so they are never blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from .hclconfig import ModuleConfig
from .types import SOURCE_PROVISIONER, LogLine, Resource

STAGE = "Commit quota"
COMMITTED_TRANSITIONS = ("start", "stop")
REFUSED_LINE = "This build would exceed your quota. Failing."
REFUSED_ERROR = "insufficient quota"


@dataclass
class QuotaResponse:
    ok: bool
    credits_consumed: int = 0
    budget: int = -1  # -1: no budget applies (quotas are off in the organization)


CommitQuota = Callable[[int], QuotaResponse]


def may_cost(module: Optional[ModuleConfig]) -> bool:
    """Whether the root module's declarations can declare a cost: a `coder_metadata` resource,
    or any module call (costs inside modules are only known from the plan).
    Without either, reading the plan back (a `terraform show`, ~0.1 s) is skipped."""
    if module is None:
        return False
    return module.has_module_calls or "coder_metadata" in module.resource_types


def daily_cost(resources: Iterable[Resource]) -> int:
    return sum(resource.daily_cost or 0 for resource in resources)


def commit(cost: int, commit_quota: Optional[CommitQuota], emit: Callable[[LogLine], None]) -> Optional[str]:
    """Commit `cost`; returns the job error when the build must fail, else None."""
    if commit_quota is None or cost == 0:  # as Coder: a free build needs no commit
        return None

    def log(output: str, level: str = "info") -> None:
        emit(LogLine(stage=STAGE, output=output, level=level, source=SOURCE_PROVISIONER))

    try:
        response = commit_quota(cost)
    except Exception as exc:  # the budget could not be checked: fail safe, say why
        log(f"Failed to commit quota: {exc}", "error")
        return f"commit quota: {exc}"
    budget = "unlimited" if response.budget < 0 else response.budget
    log(f"Build cost       —   {cost}")
    log(f"Budget           —   {budget}")
    log(f"Credits consumed —   {response.credits_consumed}")
    if not response.ok:
        log(REFUSED_LINE, "warn")
        return REFUSED_ERROR
    return None
