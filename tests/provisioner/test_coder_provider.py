"""Unit tests of the coder provider's data sources and resources (no Terraform)."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from tf.gen import tfplugin_pb2 as pb
from tf.iface import CreateContext, ReadContext, ReadDataContext
from tf.utils import Diagnostics

from provisioner.coder_provider import envvars
from provisioner.coder_provider.data_sources import (
    ExternalAuthDataSource,
    WorkspaceDataSource,
    WorkspaceOwnerDataSource,
)
from provisioner.coder_provider.init_script import render_init_script
from provisioner.coder_provider.parameter import ParameterDataSource
from provisioner.coder_provider.provider import CoderProvider
from provisioner.coder_provider.resources import (
    AgentResource,
    AppResource,
    EnvResource,
    ScriptResource,
)
from provisioner.coder_provider.schema_kit import Unknown


@pytest.fixture
def provider():
    p = CoderProvider()
    p.configure_provider(Diagnostics(), {"url": "https://portal.example.test:8443"})
    return p


def read_parameter(provider, **config):
    config.setdefault("name", "p")
    diags = Diagnostics()
    state = ParameterDataSource(provider).read(ReadDataContext(diags, "coder_parameter"), config)
    errors = [d.summary for d in diags.diagnostics]
    return state, errors


def test_every_schema_serialises_for_terraform(provider):
    kinds = provider.get_data_sources() + provider.get_resources()
    names = {provider.get_model_prefix() + k.get_name() for k in kinds}
    assert {"coder_parameter", "coder_workspace", "coder_workspace_owner", "coder_provisioner",
            "coder_external_auth", "coder_workspace_tags", "coder_workspace_preset",
            "coder_agent", "coder_app", "coder_metadata", "coder_script", "coder_env"} <= names
    for kind in kinds:
        kind.get_schema().to_pb()
    option = next(b for b in ParameterDataSource.schema.block_types if b.type_name == "option")
    assert option.to_pb().nesting == pb.Schema.NestedBlock.NestingMode.LIST


def test_parameter_env_var_is_sha256_of_the_name():
    digest = hashlib.sha256(b"Region name").hexdigest()
    assert envvars.parameter_env_var("Region name") == f"CODER_PARAMETER_{digest}"


@pytest.mark.parametrize("config, value, form_type, optional", [
    ({"default": "a"}, "a", "input", True),
    ({}, "", "input", False),
    ({"type": "number", "default": "3"}, "3", "input", True),
    ({"type": "bool", "default": "true", "form_type": "switch"}, "true", "switch", True),
    ({"type": "list(string)", "default": '["x"]'}, '["x"]', "tag-select", True),
    ({"default": "b", "option": [{"name": "A", "value": "a"}, {"name": "B", "value": "b"}]},
     "b", "radio", True),
])
def test_parameter_values_and_form_types(provider, config, value, form_type, optional):
    state, errors = read_parameter(provider, **config)
    assert errors == []
    assert (state["value"], state["form_type"], state["optional"]) == (value, form_type, optional)
    assert uuid.UUID(state["id"]) and state["styling"] == "{}"


def test_parameter_value_comes_from_the_build_environment(provider, monkeypatch):
    monkeypatch.setenv(envvars.parameter_env_var("cpus"), "6")
    state, errors = read_parameter(provider, name="cpus", type="number", default="2",
                                   validation=[{"min": 1, "max": 8}])
    assert errors == [] and state["value"] == "6"
    assert state["validation"][0]["min_disabled"] is False


@pytest.mark.parametrize("config, message", [
    ({"type": "number", "default": "two"}, "is not a number"),
    ({"type": "bool", "default": "yes"}, "is not a bool"),
    ({"type": "list(string)", "default": "x"}, "is not an array of strings"),
    ({"type": "map"}, "must be one of"),
    ({"type": "number", "default": "9", "validation": [{"min": 1, "max": 8,
                                                        "error": "{value} not in {min}-{max}"}]},
     "9 not in 1-8"),
    ({"type": "number", "default": "0", "validation": [{"min": 1}]}, "less than the minimum 1"),
    ({"default": "x", "validation": [{"min": 1}]}, "a min cannot be specified for a string"),
    ({"default": "ftp://x", "validation": [{"regex": "^https://", "error": "https only"}]},
     "https only"),
    ({"default": "x", "validation": [{"regex": "("}]}, "compile regex"),
    ({"type": "number", "validation": [{"monotonic": "sideways"}]}, "monotonicity"),
    ({"default": "c", "option": [{"name": "A", "value": "a"}]}, "must be defined as one of"),
    ({"option": [{"name": "A", "value": "a"}, {"name": "A", "value": "b"}]}, "same name"),
    ({"option": [{"name": "A", "value": "a"}, {"name": "B", "value": "a"}]}, "same value"),
    ({"default": "a", "ephemeral": True}, "must be mutable"),
    ({"mutable": True, "ephemeral": True}, "requires the default"),
    ({"default": "a", "form_type": "slider"}, "not supported"),
    ({"styling": "{nope"}, "styling must be valid JSON"),
])
def test_parameter_rejects_contradictions(provider, config, message):
    state, errors = read_parameter(provider, **config)
    assert state is None
    assert len(errors) == 1 and message in errors[0], errors


def test_parameter_without_value_skips_value_checks(provider):
    # At template import no value is known yet; a required number must still parse.
    state, errors = read_parameter(provider, type="number", validation=[{"min": 1, "max": 3}])
    assert errors == [] and state["value"] == "" and state["optional"] is False


def test_workspace_reads_transition_and_identity(provider, monkeypatch):
    monkeypatch.setenv(envvars.WORKSPACE_TRANSITION, "stop")
    monkeypatch.setenv(envvars.WORKSPACE_NAME, "dev")
    monkeypatch.setenv(envvars.WORKSPACE_OWNER, "alice")
    state = WorkspaceDataSource(provider).read(ReadDataContext(Diagnostics(), "x"), {})
    assert (state["transition"], state["start_count"], state["name"], state["owner"]) == (
        "stop", 0, "dev", "alice")
    assert (state["access_url"], state["access_port"]) == ("https://portal.example.test:8443",
                                                           8443)


def test_workspace_owner_groups_and_roles(provider, monkeypatch):
    monkeypatch.setenv(envvars.WORKSPACE_OWNER_GROUPS, json.dumps(["devs", "ops"]))
    monkeypatch.setenv(envvars.WORKSPACE_OWNER_RBAC_ROLES,
                       json.dumps([{"name": "member", "org_id": "o1"}]))
    monkeypatch.setenv(envvars.WORKSPACE_OWNER_EMAIL, "a@example.test")
    state = WorkspaceOwnerDataSource(provider).read(ReadDataContext(Diagnostics(), "x"), {})
    assert state["groups"] == ["devs", "ops"] and state["email"] == "a@example.test"
    assert state["rbac_roles"] == [{"name": "member", "org_id": "o1"}]


def test_external_auth_token(provider, monkeypatch):
    monkeypatch.setenv(envvars.external_auth_env_var("github"), "gho_123")
    state = ExternalAuthDataSource(provider).read(ReadDataContext(Diagnostics(), "x"),
                                                  {"id": "github", "optional": None})
    assert state["access_token"] == "gho_123"


def _planned(resource_cls, **config):
    state = {a.name: config.get(a.name, a.default if a.default is not Unknown else None)
             for a in resource_cls.schema.attributes}
    for block in resource_cls.schema.block_types:
        state[block.type_name] = config.get(block.type_name, [])
    state["id"] = Unknown
    return state


def test_agent_create_mints_id_token_and_init_script(provider, monkeypatch):
    agent = AgentResource(provider)
    created = agent.create(CreateContext(Diagnostics(), "coder_agent"),
                           _planned(AgentResource, os="linux", arch="arm64"))
    assert uuid.UUID(created["id"]) and uuid.UUID(created["token"])
    assert "https://portal.example.test:8443/bin/coder-agent?os=linux&arch=arm64" \
        in created["init_script"]
    # A token pinned for this agent id (Coder's prebuild contract) survives refreshes.
    monkeypatch.setenv(envvars.agent_token_env_var(created["id"]), "kept-token")
    refreshed = agent.read(ReadContext(Diagnostics(), "coder_agent"), created)
    assert refreshed["token"] == "kept-token"


def test_agent_upgrade_drops_attributes_we_do_not_know(provider):
    upgraded = AgentResource(provider).upgrade(None, 0, {"os": "linux", "legacy_field": 1})
    assert "legacy_field" not in upgraded and upgraded["os"] == "linux"
    assert upgraded["metadata"] == [] and upgraded["token"] is None


def test_init_script_override_per_platform(monkeypatch):
    monkeypatch.setenv(envvars.agent_script_env_var("linux", "amd64"),
                       "curl ${ACCESS_URL}agent | AUTH=${AUTH_TYPE} sh")
    assert render_init_script("http://portal:3000/some/path", "linux", "amd64", "token") == \
        "curl http://portal:3000/agent | AUTH=token sh"


@pytest.mark.parametrize("resource_cls, config, message", [
    (AgentResource, {"os": "plan9", "arch": "amd64"}, "os must be one of"),
    (AgentResource, {"os": "linux", "arch": "amd64", "metadata": [
        {"key": "a"}, {"key": "a"}]}, "duplicate agent metadata key 'a'"),
    (AppResource, {"agent_id": "x", "slug": "Bad_Slug"}, "invalid coder_app slug"),
    (AppResource, {"agent_id": "x", "slug": "a", "url": "http://x", "command": "y"},
     "cannot both be set"),
    (AppResource, {"agent_id": "x", "slug": "a", "external": True}, "needs a url"),
    (ScriptResource, {"agent_id": "x", "display_name": "s", "script": "x"},
     "at least one of run_on_start"),
    (EnvResource, {"agent_id": "x", "name": "1BAD"}, "invalid environment variable name"),
])
def test_resource_configuration_checks(provider, resource_cls, config, message):
    diags = Diagnostics()
    resource_cls(provider).validate(diags, "coder_x", config)
    assert any(message in d.summary for d in diags.diagnostics), \
        [d.summary for d in diags.diagnostics]


def test_checks_tolerate_values_unknown_until_apply(provider):
    diags = Diagnostics()
    AppResource(provider).validate(diags, "coder_app", {"agent_id": Unknown, "slug": "web",
                                                        "url": Unknown, "external": True})
    assert not diags.has_errors()
