"""Workspace quotas: budgets (allowances), consumption, the cost commit of a build, and the
up-front check of a start request.

Rules (Coder's, `enterprise/coderd/workspacequota.go` and `quotas.sql`):
- Quotas are *on* in an organization once any of its groups has a non-zero
  `quota_allowance`; until then the organization is unlimited (budget -1 in the API) and
  nothing is refused, though costs are still recorded so turning quotas on counts what runs.
- A user's budget in an organization is the sum of `quota_allowance` over the groups they
  belong to there, the "Everyone" group included (0 for a non-member).
- Consumption is the sum of `daily_cost` of the latest build (by build number, whatever its
  state) of each of the user's non-deleted workspaces in the organization: a stopped
  workspace costs what its stop build committed, a build in flight what it committed.
- `commit()` runs between plan and apply for start and stop builds: it refuses a start
  when consumption + cost exceeds the budget and the cost is not lower than the previous
  build's, and otherwise writes the cost on the build. Beyond Coder, a stop is never
  refused (Coder refuses a stop whose kept resources cost as much as the running ones). It
  holds a per-(owner, organization) lock so that concurrent builds take turns: PostgreSQL
  advisory transaction lock; on SQLite every write transaction is already exclusive
  (BEGIN IMMEDIATE), which serialises commits the same way.
- Beyond Coder: `check_start()` refuses a create/start request at once (409) when the
  known cost of the template version (see `known_cost`) already exceeds what is left of the
  budget.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.db.models import Min, Q, Sum

from accounts import rbac
from accounts.models import Group, Organization, OrganizationMember, User
from accounts.services.audit import Actor
from accounts.services.errors import Conflict
from templates_app.models import JobStatus
from workspaces.models import Workspace, WorkspaceBuild
from workspaces.models.builds import Transition

LOCK_TIMEOUT_SECONDS = 30  # as Coder's quotaLockTimeout (SQLite: the connection's own 30 s busy timeout)
UNLIMITED = -1


@dataclass(frozen=True)
class WorkspaceQuota:
    """Coder's `codersdk.WorkspaceQuota`; `budget` is -1 when quotas are off."""

    credits_consumed: int
    budget: int

    def to_json(self) -> dict:
        return {"credits_consumed": self.credits_consumed, "budget": self.budget}


class QuotaExceeded(Conflict):
    def __init__(self, cost: int, consumed: int, budget: int):
        super().__init__("Insufficient quota.",
                         detail=f"This build would exceed your quota: it costs {cost} a day, "
                                f"{consumed} of your budget of {budget} is in use.")


class QuotaLockTimeout(Exception):
    pass


# -- the math ------------------------------------------------------------------------------
def quotas_enabled(organization_id) -> bool:
    return Group.objects.filter(organization_id=organization_id, quota_allowance__gt=0).exists()


def allowance(user_id, organization_id) -> int:
    """Sum of quota_allowance over the user's groups in the organization, Everyone included."""
    mine = Group.objects.filter(auth_group__user=user_id).values("pk")
    member = OrganizationMember.objects.filter(organization_id=organization_id, user_id=user_id)
    total = (Group.objects.filter(organization_id=organization_id)
             .filter(Q(pk=organization_id) | Q(pk__in=mine))
             .filter(organization__in=member.values("organization_id"))
             .aggregate(total=Sum("quota_allowance"))["total"])
    return total or 0


def consumed(user_id, organization_id, *, exclude_workspace_id=None) -> int:
    """Sum of the latest builds' daily_cost over the user's live workspaces in the organization."""
    workspaces = Workspace.objects.filter(owner_id=user_id, organization_id=organization_id, deleted=False)
    if exclude_workspace_id is not None:
        workspaces = workspaces.exclude(pk=exclude_workspace_id)
    return workspaces.aggregate(total=Sum("latest_build__daily_cost"))["total"] or 0


def quota_of(user_id, organization_id) -> WorkspaceQuota:
    budget = allowance(user_id, organization_id) if quotas_enabled(organization_id) else UNLIMITED
    return WorkspaceQuota(credits_consumed=consumed(user_id, organization_id), budget=budget)


def would_exceed(*, consumed_now: int, cost: int, budget: int, previous_cost: int | None) -> bool:
    """Coder's rule: refuse only a net increase that takes consumption past the budget."""
    if budget == UNLIMITED:
        return False
    net_increase = previous_cost is None or cost >= previous_cost
    return consumed_now + cost > budget and net_increase


def quotas_of_members(organization_id, user_ids) -> dict:
    """{user_id: WorkspaceQuota} of the members among `user_ids`, in at most five queries (admin pages)."""
    user_ids = list(user_ids)
    members = set(OrganizationMember.objects.filter(organization_id=organization_id, user_id__in=user_ids)
                  .values_list("user_id", flat=True))
    used = dict(Workspace.objects.filter(organization_id=organization_id, owner_id__in=members, deleted=False)
                .values("owner_id").annotate(total=Sum("latest_build__daily_cost"))
                .values_list("owner_id", "total"))
    budgets = dict.fromkeys(members, UNLIMITED)
    if quotas_enabled(organization_id):
        everyone = Group.objects.filter(pk=organization_id).values_list("quota_allowance", flat=True).first() or 0
        budgets = dict.fromkeys(members, everyone)
        for user_id, total in (Group.objects.filter(organization_id=organization_id, auth_group__user__in=members)
                               .exclude(pk=organization_id).values("auth_group__user")
                               .annotate(total=Sum("quota_allowance")).values_list("auth_group__user", "total")):
            budgets[user_id] += total or 0
    return {user_id: WorkspaceQuota(credits_consumed=used.get(user_id) or 0, budget=budgets[user_id])
            for user_id in user_ids if user_id in members}


# -- reading a quota (API, admin) ------------------------------------------------------------
def read_quota(organization: Organization, user: User, *, actor: Actor) -> WorkspaceQuota:
    """The quota of `user` in `organization`: whoever may read the user (404 otherwise); the
    user must be a member of the organization (404 otherwise)."""
    rbac.authorize(actor.subject, "read", user)
    if not OrganizationMember.objects.filter(organization=organization, user=user).exists():
        raise rbac.NotFound()
    return quota_of(user.pk, organization.pk)


# -- the commit between plan and apply ---------------------------------------------------------
def _lock(owner_id, organization_id) -> None:
    """Serialise commits per (owner, organization) until the transaction ends."""
    if connection.vendor != "postgresql":
        return  # SQLite: this write transaction began IMMEDIATE, so it already excludes the others
    digest = hashlib.sha256(f"workspace-quota:{owner_id}:{organization_id}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(LOCK_TIMEOUT_SECONDS * 1000)}ms"])
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def commit(job_id, cost: int):
    """Check `cost` for the build of job `job_id` against its owner's budget and record it.

    Returns a `provisioner.quota.QuotaResponse`; raises QuotaLockTimeout when earlier commits
    hold the lock too long."""
    from provisioner.quota import QuotaResponse

    build = WorkspaceBuild.objects.select_related("workspace").get(job_id=job_id)
    workspace = build.workspace
    try:
        with transaction.atomic():
            _lock(workspace.owner_id, workspace.organization_id)
            # Read after the lock: each statement sees every commit that finished before it.
            used = consumed(workspace.owner_id, workspace.organization_id)
            budget = (allowance(workspace.owner_id, workspace.organization_id)
                      if quotas_enabled(workspace.organization_id) else UNLIMITED)
            previous = (WorkspaceBuild.objects.filter(workspace_id=workspace.pk, build_number=build.build_number - 1)
                        .values_list("daily_cost", flat=True).first())
            refusable = build.transition == Transition.START
            if refusable and would_exceed(consumed_now=used, cost=cost, budget=budget, previous_cost=previous):
                return QuotaResponse(ok=False, credits_consumed=used, budget=budget)
            WorkspaceBuild.objects.filter(pk=build.pk).update(daily_cost=cost)
            return QuotaResponse(ok=True, credits_consumed=used + cost, budget=budget)
    except OperationalError as exc:
        if "lock" in str(exc).lower():  # PostgreSQL lock_timeout, or SQLite "database is locked"
            raise QuotaLockTimeout(f"timed out after {LOCK_TIMEOUT_SECONDS:g}s waiting for workspace quota lock; "
                                   "quota checks are taking too long, please retry the build") from None
        raise


def committer(job_id):
    """The `commit_quota(cost)` callable handed to the provisioner for this job."""
    return lambda cost: commit(job_id, cost)


# -- the up-front check (beyond Coder) -----------------------------------------------------------
def known_cost(version, workspace: Workspace | None = None) -> int:
    """A cost a start of `version` is known to have: the workspace's own last successful start
    of it; else the lowest of its import plan (default parameters) and its successful starts.

    Costs can depend on parameters, so the estimate errs low: a refusal must never be wrong."""
    starts = WorkspaceBuild.objects.filter(template_version=version, transition=Transition.START,
                                           job__status=JobStatus.SUCCEEDED)
    if workspace is not None:
        own = starts.filter(workspace=workspace).order_by("-build_number").values_list("daily_cost", flat=True).first()
        if own is not None:
            return own
    planned = sum(int(r.get("daily_cost") or 0) for r in version.resources or []
                  if r.get("workspace_transition") == Transition.START)
    lowest = starts.aggregate(lowest=Min("daily_cost"))["lowest"]
    return planned if lowest is None else min(planned, lowest)


def check_start(*, owner_id, organization_id, version, workspace: Workspace | None = None) -> None:
    """Raise QuotaExceeded when starting `version` is already known to exceed the budget.

    The workspace's own latest build is left out, as the commit leaves it out: by then the
    new build is the latest one."""
    if not quotas_enabled(organization_id):
        return
    cost = known_cost(version, workspace)
    if cost == 0:
        return
    previous = (WorkspaceBuild.objects.filter(workspace=workspace).order_by("-build_number")
                .values_list("daily_cost", flat=True).first() if workspace is not None else None)
    used = consumed(owner_id, organization_id, exclude_workspace_id=workspace.pk if workspace else None)
    budget = allowance(owner_id, organization_id)
    if would_exceed(consumed_now=used, cost=cost, budget=budget, previous_cost=previous):
        raise QuotaExceeded(cost, used, budget)
