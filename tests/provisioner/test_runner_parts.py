"""Unit tests of the runner's parts: mirror, working directory, variables, state reading,
resource conversion, environment and log rendering (no Terraform)."""

from __future__ import annotations

import json
import os
import stat

from provisioner import logs as log_render
from provisioner import variables, workdir
from provisioner.convert import build_resources
from provisioner.hclconfig import ModuleConfig, Variable
from provisioner.job import build_env, coder_env
from provisioner.mirror import LAUNCHER, PROVIDER_SOURCE, write_mirror
from provisioner.session import job_environment
from provisioner.state import Node, nodes_from_plan, nodes_from_state, parse_graph


def test_mirror_layout_is_identical_everywhere(tmp_path):
    first = write_mirror(tmp_path / "a", version="2.99.0")
    second = write_mirror(tmp_path / "b", version="2.99.0")
    launchers = []
    for mirror in (first, second):
        path = (mirror.mirror_dir / PROVIDER_SOURCE / "2.99.0" / "linux_amd64" /
                "terraform-provider-coder_v2.99.0")
        assert path.stat().st_mode & stat.S_IXUSR
        launchers.append(path.read_bytes())
    assert launchers[0] == launchers[1] == LAUNCHER
    assert str(tmp_path).encode() not in LAUNCHER  # no machine-specific path: stable h1 hash
    config = first.cli_config_file.read_text()
    assert "filesystem_mirror" in config and f'exclude = ["{PROVIDER_SOURCE}"]' in config
    assert f'plugin_cache_dir = "{first.plugin_cache_dir}"' in config
    assert first.env()["TF_CLI_CONFIG_FILE"] == str(first.cli_config_file)
    # Writing again changes nothing (workers lay the mirror out at every start).
    before = first.cli_config_file.stat().st_mtime_ns
    write_mirror(tmp_path / "a", version="2.99.0")
    assert first.cli_config_file.stat().st_mtime_ns == before


def test_lock_file_loses_only_the_coder_entry(tmp_path):
    lock = tmp_path / ".terraform.lock.hcl"
    lock.write_text(
        '# header\n\nprovider "registry.terraform.io/coder/coder" {\n  version = "0.22.0"\n'
        '  hashes = [\n    "h1:abc=",\n  ]\n}\n\n'
        'provider "registry.terraform.io/kreuzwerker/docker" {\n  version = "3.0.2"\n}\n')
    workdir.drop_coder_lock(str(tmp_path))
    text = lock.read_text()
    assert "coder/coder" not in text and "kreuzwerker/docker" in text and "3.0.2" in text


def test_coder_declared_when_missing_and_unpinned_for_the_mirror(tmp_path):
    uses = ModuleConfig(block_types={"coder_agent", "terraform_data"})
    workdir.declare_coder(str(tmp_path), uses, override_version=False)
    assert 'coder = { source = "coder/coder" }' in \
        (tmp_path / workdir.DECLARATION_FILE).read_text()

    pinned = ModuleConfig(required_providers={"cdr": "coder/coder"})
    workdir.declare_coder(str(tmp_path), pinned, override_version=True)
    assert not (tmp_path / workdir.DECLARATION_FILE).exists()
    assert 'cdr = { source = "coder/coder", version = ">= 0.0.0" }' in \
        (tmp_path / workdir.OVERRIDE_FILE).read_text()


def test_variable_defaults_descriptions_and_missing_ones():
    declared = variables.declared_variables(ModuleConfig(variables=[
        Variable("a", "string", sensitive=True), Variable("b", "number"), Variable("c"),
        Variable("d", "string")]))
    assert list(declared) == ["a", "b", "c", "d"] and declared["a"].sensitive
    assert declared["c"].type == "string"  # untyped variables are strings to Coder
    variables.apply_plan_configuration(declared, {
        "configuration": {"root_module": {"variables": {
            "a": {"default": "x", "description": "A"}, "b": {}, "c": {}, "d": {},
            "e": {"default": ["z"]}}}},
        # c's value came from the template's terraform.tfvars; b's was supplied.
        "variables": {"a": {"value": "x"}, "b": {"value": 3}, "c": {"value": "tf"},
                      "e": {"value": ["z"]}}}, supplied=["b"])
    assert (declared["a"].default_value, declared["a"].required, declared["a"].description) \
        == ("x", False, "A")
    assert declared["b"].required and declared["d"].required
    assert (declared["c"].default_value, declared["c"].required) == ("tf", False)
    assert (declared["e"].type, declared["e"].default_value) == ("string", '["z"]')
    diagnostic = {"summary": variables.MISSING_VARIABLE_SUMMARY, "detail":
                  'The root module input variable "b" is not set, and has no default value.'}
    assert variables.missing_variables([diagnostic, {"summary": "other"}]) == ["b"]
    assert variables.var_args({"a": "1", "undeclared": "2"}, declared) == ["-var=a=1"]


def _state(*resources):
    return json.dumps({"version": 4, "resources": list(resources)}).encode()


def _res(type_, name, attributes, deps=(), mode="managed", module=None, index=None):
    instance = {"attributes": attributes, "dependencies": list(deps)}
    if index is not None:
        instance["index_key"] = index
    resource = {"mode": mode, "type": type_, "name": name, "instances": [instance]}
    if module:
        resource["module"] = module
    return resource


def test_state_nodes_carry_addresses_and_dependencies():
    [node] = nodes_from_state(_state(_res("null_resource", "x", {"id": "1"},
                                          deps=["coder_agent.a"], module="module.m[0]",
                                          index="k")))
    assert node.address == 'module.m[0].null_resource.x["k"]'
    assert node.config_address == "module.m.null_resource.x"
    assert node.deps == {"coder_agent.a"}
    assert nodes_from_state(b"") == [] and nodes_from_state(b"not json") == []


def test_agent_goes_to_the_closest_dependent_resource():
    # Coder's "chaining-resources" case: first -> agent, second -> first -> agent.
    nodes = nodes_from_state(_state(
        _res("coder_agent", "dev", {"id": "A", "token": "T", "os": "linux", "arch": "amd64"}),
        _res("null_resource", "first", {"id": "1"}, deps=["coder_agent.dev"]),
        _res("null_resource", "second", {"id": "2"},
             deps=["coder_agent.dev", "null_resource.first"]),
        _res("coder_app", "web", {"id": "P", "agent_id": "A", "slug": "web"},
             deps=["coder_agent.dev"]),
        _res("coder_env", "e", {"id": "E", "agent_id": "A", "name": "K", "value": "V"}),
        _res("coder_metadata", "m", {"id": "M", "resource_id": "2", "item": [
            {"key": "k", "value": None}]}, deps=["null_resource.second"]),
        _res("coder_parameter", "p", {"name": "p", "value": "v"}, mode="data")))
    first, second = build_resources(nodes)
    assert [a.name for a in first.agents] == ["dev"] and second.agents == []
    agent = first.agents[0]
    assert (agent.token, agent.env, [a.slug for a in agent.apps]) == ("T", {"K": "V"}, ["web"])
    assert [(m.key, m.is_null) for m in second.metadata] == [("k", True)]


def test_plan_nodes_take_dependencies_from_terraform_graph():
    plan = {"planned_values": {"root_module": {"resources": [
        {"address": "coder_agent.main", "mode": "managed", "type": "coder_agent",
         "name": "main", "values": {"os": "linux", "arch": "amd64"}},
        {"address": "coder_app.web", "mode": "managed", "type": "coder_app",
         "name": "web", "values": {"slug": "web"}}],
        "child_modules": [{"address": "module.vm[0]", "resources": [
            {"address": "module.vm[0].null_resource.vm", "mode": "managed",
             "type": "null_resource", "name": "vm", "values": {}},
            {"address": "module.vm[0].null_resource.disk", "mode": "managed",
             "type": "null_resource", "name": "disk", "values": {}}]}]}}}
    edges = parse_graph([
        "digraph G {",
        '  "module.vm.null_resource.vm" [label="null_resource.vm"];',
        '  "module.vm.null_resource.vm" -> "coder_agent.main";',
        '  "module.vm.null_resource.disk" -> "module.vm.null_resource.vm";',
        '  "coder_app.web" -> "coder_agent.main";',
        "}"])
    disk, vm = build_resources(nodes_from_plan(plan, edges), edges)
    assert vm.address == "module.vm[0].null_resource.vm" and disk.agents == []
    [agent] = vm.agents
    assert agent.id is None and [a.slug for a in agent.apps] == ["web"]


def test_job_environment_keeps_portal_secrets_out(monkeypatch, tmp_path):
    monkeypatch.setenv("CODER_PG_CONNECTION_URL", "postgres://secret")
    monkeypatch.setenv("CODER_OIDC_CLIENT_SECRET", "secret")
    monkeypatch.setenv("TF_LOG", "TRACE")
    mirror = write_mirror(tmp_path)
    env = job_environment(build_env(coder_env(workspace_name="dev", owner_groups=["a"]),
                                    "stop", {"region": "eu"}), mirror)
    assert "CODER_PG_CONNECTION_URL" not in env and "CODER_OIDC_CLIENT_SECRET" not in env
    assert "TF_LOG" not in env
    assert env["CODER_WORKSPACE_NAME"] == "dev" and env["CODER_WORKSPACE_TRANSITION"] == "stop"
    assert env["CODER_WORKSPACE_OWNER_GROUPS"] == '["a"]'
    assert env["TF_CLI_CONFIG_FILE"] == str(mirror.cli_config_file)
    assert any(k.startswith("CODER_PARAMETER_") and v == "eu" for k, v in env.items())
    assert os.path.isdir(env["PYTHONPATH"].split(os.pathsep)[0])


def test_diagnostics_render_like_terraform():
    diagnostic = {"severity": "error", "summary": "Bad thing", "detail": "It broke.",
                  "range": {"filename": "main.tf", "start": {"line": 3}},
                  "snippet": {"code": 'resource "x" "y" {', "start_line": 3}}
    assert log_render.render_diagnostic(diagnostic) == [
        "Error: Bad thing", "", "  on main.tf line 3:", '  3: resource "x" "y" {', "",
        "It broke."]
    assert log_render.diagnostic_message(diagnostic) == "Bad thing: It broke. (main.tf:3)"


def test_node_defaults():
    node = Node(address="a.b", config_address="a.b", mode="managed", type="a", name="b")
    assert node.values == {} and node.deps == set()
