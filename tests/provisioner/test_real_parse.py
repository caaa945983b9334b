"""Template parsing with real Terraform and our real coder provider."""

from __future__ import annotations

import pytest

from provisioner import FAILED, REQUIRED_TEMPLATE_VARIABLES, SUCCEEDED, parse

pytestmark = pytest.mark.real


def test_parse_reads_variables_parameters_readme_and_resources(template, runner_options,
                                                                 logs):
    schema = parse(template("full"), variable_values={"team": "platform"}, emit=logs,
                   options=runner_options)
    assert schema.status == SUCCEEDED, schema.error

    variables = {v.name: v for v in schema.variables}
    assert list(variables) == ["greeting", "team", "replicas", "api_key"]
    assert (variables["greeting"].type, variables["greeting"].default_value,
            variables["greeting"].required) == ("string", "hello", False)
    assert variables["greeting"].description == "Word the workspace greets with"
    assert variables["team"].required and variables["team"].value == "platform"
    assert (variables["replicas"].type, variables["replicas"].default_value) == ("number", "1")
    assert variables["api_key"].sensitive

    params = {p.name: p for p in schema.parameters}
    assert [p.name for p in schema.parameters] == [
        "region", "cpus", "dotfiles_uri", "features", "gpu", "project"]
    region = params["region"]
    assert (region.display_name, region.description, region.default_value, region.icon) == (
        "Region", "Where the workspace runs", "eu", "/icon/globe.svg")
    assert (region.type, region.form_type, region.mutable, region.required) == (
        "string", "radio", False, False)
    assert [(o.name, o.value, o.description) for o in region.options] == [
        ("Europe", "eu", ""), ("United States", "us", "East coast")]
    assert region.options[0].icon == "/emojis/1f1ea-1f1fa.png"
    cpus = params["cpus"]
    assert (cpus.type, cpus.validation_min, cpus.validation_max, cpus.validation_error) == (
        "number", 1, 8, "Pick {min} to {max} CPUs")
    assert cpus.mutable and cpus.form_type == "input"
    dotfiles = params["dotfiles_uri"]
    assert (dotfiles.validation_regex, dotfiles.validation_error) == (
        "^(https://.*)?$", "Must be an https URL")
    assert dotfiles.validation_min is None and dotfiles.validation_max is None
    assert (params["features"].type, params["features"].form_type,
            params["features"].default_value) == ("list(string)", "tag-select", '["git"]')
    assert params["gpu"].ephemeral and params["gpu"].form_type == "checkbox"
    assert params["project"].required and params["project"].default_value == ""

    assert schema.readme.startswith("---\ndisplay_name: Full example")
    assert schema.workspace_tags == {"zone": "eu"}
    assert [r.address for r in schema.resources] == ["terraform_data.home",
                                                      "terraform_data.workspace[0]"]
    [agent] = schema.resources[1].agents
    assert agent.name == "main" and {a.slug for a in agent.apps} == {"code-server", "shell"}
    assert [r.address for r in schema.stop_resources] == ["terraform_data.home"]
    assert "Parsing template parameters" in {line.stage for line in logs.lines}


def test_parse_reports_missing_required_variables(template, runner_options):
    schema = parse(template("full"), options=runner_options)
    assert schema.status == FAILED
    assert schema.error_code == REQUIRED_TEMPLATE_VARIABLES
    assert "team" in schema.error
    variables = {v.name: v for v in schema.variables}
    assert variables["team"].required and variables["team"].default_value is None
    # The other variables are still described, defaults included.
    assert variables["greeting"].default_value == "hello" and not variables["greeting"].required


@pytest.mark.parametrize("name, message", [
    ("syntax_error", "Unclosed configuration block"),
    ("unknown_type", 'does not support resource type "coder_teleporter"'),
])
def test_parse_of_broken_templates_fails_clearly(template, runner_options, name, message):
    schema = parse(template(name), options=runner_options)
    assert schema.status == FAILED
    assert message in schema.error and "main.tf:" in schema.error


def test_agents_reached_through_locals_and_modules(template, runner_options):
    schema = parse(template("modular"), options=runner_options)
    assert schema.status == SUCCEEDED, schema.error
    disk, machine = schema.resources
    assert machine.address == "module.box[0].terraform_data.machine" and disk.agents == []
    [agent] = machine.agents
    assert [a.slug for a in agent.apps] == ["editor"]
    assert [m.key for m in machine.metadata] == ["module"]
