"""Template variables (Terraform `variable` blocks): what they are and which are missing.

Owns: the declarations read from the template's files (names, types as written,
sensitivity), descriptions and defaults from a shown plan's configuration, spotting "No
value for required variable" diagnostics, the `-var` arguments for supplied values, and
dummy values that let Terraform plan when required ones are missing (only used to learn
the defaults).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional

from .hclconfig import ModuleConfig
from .types import TemplateVariable

MISSING_VARIABLE_SUMMARY = "No value for required variable"


def render_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def declared_variables(config: ModuleConfig) -> dict[str, TemplateVariable]:
    """Variables of the root module, in file order. Defaults are filled in later."""
    return {v.name: TemplateVariable(name=v.name, type=v.type or "string",  # untyped: string
                                     sensitive=v.sensitive)
            for v in config.variables}


def apply_plan_configuration(variables: dict[str, TemplateVariable], plan: dict,
                             supplied: Iterable[str] = ()) -> None:
    """Fill descriptions, defaults and `required` from `terraform show -json <plan>`.

    Terraform evaluated these, so they are right whatever the configuration's syntax. A
    variable without a default that Terraform still had a value for (from the template's
    own `terraform.tfvars` / `*.auto.tfvars`) is not required: that value is its default.
    """
    configured = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    planned = plan.get("variables") or {}
    for name, spec in configured.items():
        # A variable only Terraform saw (in a file our reader could not parse) is a string.
        variable = variables.setdefault(name, TemplateVariable(name=name, type="string"))
        variable.description = spec.get("description") or variable.description
        variable.sensitive = variable.sensitive or bool(spec.get("sensitive"))
        value = (planned.get(name) or {}).get("value")
        if "default" in spec and spec["default"] is not None:
            variable.default_value = render_value(spec["default"])
            variable.required = False
        elif name not in supplied and value is not None:
            variable.default_value = render_value(value)
            variable.required = False
        else:
            variable.required = True


def missing_variables(diagnostics: Iterable[dict]) -> list[str]:
    """Names of required variables Terraform reported as unset."""
    missing = []
    for diagnostic in diagnostics:
        if diagnostic.get("summary") != MISSING_VARIABLE_SUMMARY:
            continue
        name = _name_from_detail(diagnostic.get("detail", ""))
        if name and name not in missing:
            missing.append(name)
    return missing


def _name_from_detail(detail: str) -> Optional[str]:
    # 'The root module input variable "x" is not set, ...'
    parts = detail.split('"')
    return parts[1] if len(parts) >= 3 else None


def var_args(values: dict[str, str], declared: dict[str, TemplateVariable]) -> list[str]:
    """`-var name=value` for each supplied value of a declared variable."""
    return [f"-var={name}={value}" for name, value in values.items() if name in declared]


def placeholder(variable: TemplateVariable) -> str:
    """A value of the right type, good enough to plan with (never applied)."""
    kind = variable.type
    if kind == "number":
        return "0"
    if kind == "bool":
        return "false"
    if kind.startswith(("list(", "set(", "tuple(")):
        return "[]"
    if kind.startswith(("map(", "object(")):
        return "{}"
    return ""
