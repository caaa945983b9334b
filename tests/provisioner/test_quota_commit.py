"""The quota commit between plan and apply (Coder's `commitQuota`), with real Terraform and
with the echo provisioner. The `commit_quota` callables here stand in for the portal's
budget check, which has its own tests (tests/workspaces/test_quotas*.py)."""

from __future__ import annotations

import json
import uuid

import pytest

from provisioner import FAILED, SUCCEEDED, EchoProvisioner, ProvisionRequest, Resource, coder_env, provision
from provisioner.fake import EchoResponse
from provisioner.quota import QuotaResponse

FULL_VARIABLES = {"team": "platform"}


class Committer:
    """Records the costs it is asked to commit; answers `response` (or raises `error`)."""

    def __init__(self, response: QuotaResponse | None = None, error: Exception | None = None):
        self.response, self.error, self.costs = response, error, []

    def __call__(self, cost: int) -> QuotaResponse:
        self.costs.append(cost)
        if self.error is not None:
            raise self.error
        return self.response


def _start_full(template, runner_options, logs, committer):
    env = coder_env(access_url="https://portal.example.test", workspace_name="dev",
                    workspace_id=str(uuid.uuid4()), owner_name="alice",
                    owner_email="alice@example.test", template_name="full")
    return provision(ProvisionRequest(working_dir=template("full"), transition="start", variable_values=FULL_VARIABLES,
                                      parameter_values={"region": "us", "cpus": "4"}, provider_env=env),
                     logs, lambda: False, runner_options, commit_quota=committer)


def _managed(state: bytes) -> set[str]:
    return {r["type"] for r in json.loads(state or b'{"resources": []}')["resources"] if r.get("mode") == "managed"}


def _commit_lines(logs) -> list[tuple[str, str]]:
    return [(line.level, line.output) for line in logs.lines if line.stage == "Commit quota"]


@pytest.mark.real
def test_refused_commit_fails_the_build_before_apply(template, runner_options, logs):
    committer = Committer(QuotaResponse(ok=False, credits_consumed=4, budget=10))
    result = _start_full(template, runner_options, logs, committer)
    assert result.status == FAILED and result.error == "insufficient quota"
    assert committer.costs == [7]  # the plan's coder_metadata daily_cost
    assert _commit_lines(logs) == [
        ("info", "Build cost       —   7"), ("info", "Budget           —   10"),
        ("info", "Credits consumed —   4"), ("warn", "This build would exceed your quota. Failing.")]
    assert "terraform_data" not in _managed(result.state)  # nothing was applied
    assert "Starting workspace" not in {line.stage for line in logs.lines}


@pytest.mark.real
def test_permitted_commit_applies(template, runner_options, logs):
    committer = Committer(QuotaResponse(ok=True, credits_consumed=11, budget=20))
    result = _start_full(template, runner_options, logs, committer)
    assert result.status == SUCCEEDED, result.error
    assert committer.costs == [7]
    assert ("info", "Credits consumed —   11") in _commit_lines(logs)
    assert "terraform_data" in _managed(result.state)


# -- echo: the same contract, fast ----------------------------------------------------------------
def _echo(tmp_path, transition: str, cost: int, committer):
    resource = Resource(type="null_resource", name="dev", address="null_resource.dev", daily_cost=cost)
    echo = EchoProvisioner({transition: EchoResponse(resources=[resource])})
    lines = []
    result = echo.provision(ProvisionRequest(working_dir=str(tmp_path), transition=transition), lines.append,
                            commit_quota=committer)
    return result, [(line.level, line.output) for line in lines if line.stage == "Commit quota"]


@pytest.mark.parametrize("transition, cost, commits", [
    ("start", 3, [3]), ("stop", 2, [2]),
    ("delete", 5, []),   # deletes never commit, so they are never refused
    ("start", 0, []),    # as Coder: nothing to commit for a free build
])
def test_which_builds_commit(tmp_path, transition, cost, commits):
    committer = Committer(QuotaResponse(ok=False, budget=0))
    result, _ = _echo(tmp_path, transition, cost, committer)
    assert committer.costs == commits
    assert result.status == (FAILED if commits else SUCCEEDED)


def test_committer_error_fails_the_build_with_its_reason(tmp_path):
    result, lines = _echo(tmp_path, "start", 3, Committer(error=RuntimeError("database unreachable")))
    assert result.status == FAILED and result.error == "commit quota: database unreachable"
    assert lines == [("error", "Failed to commit quota: database unreachable")]
    assert result.resources == []


def test_unlimited_budget_is_logged_as_such(tmp_path):
    result, lines = _echo(tmp_path, "start", 3, Committer(QuotaResponse(ok=True, credits_consumed=3)))
    assert result.status == SUCCEEDED
    assert ("info", "Budget           —   unlimited") in lines


@pytest.mark.real
def test_template_without_costs_commits_nothing(template, runner_options, logs):
    """No coder_metadata and no modules: no cost to commit, and no plan read-back."""
    committer = Committer(QuotaResponse(ok=False, budget=0))
    directory = template("sleepy")
    result = provision(ProvisionRequest(working_dir=directory, transition="start", variable_values={"pause": "0"}),
                       logs, lambda: False, runner_options, commit_quota=committer)
    assert result.status == SUCCEEDED, result.error
    assert committer.costs == [] and _commit_lines(logs) == []


@pytest.mark.parametrize("source, expected", [
    ("", False),
    ('resource "terraform_data" "x" {}', False),
    ('data "coder_workspace" "me" {}', False),
    ('resource "coder_metadata" "x" {\n  resource_id = "a"\n  daily_cost = 1 + 1\n}', True),
    ('module "vm" {\n  source = "./vm"\n}', True),
])
def test_may_cost(tmp_path, source, expected):
    from provisioner.hclconfig import read_module
    from provisioner.quota import may_cost

    (tmp_path / "main.tf").write_text(source)
    module = read_module(str(tmp_path))
    assert may_cost(module) is expected
