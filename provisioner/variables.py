"""Template variables (Terraform `variable` blocks): what they are and which are missing.

Owns: reading declarations from the module Terraform loaded (names, types, descriptions,
sensitivity), defaults from a shown plan's configuration, spotting "No value for required
variable" diagnostics, the `-var` arguments for supplied values, and dummy values that let
Terraform plan when required ones are missing (only used to learn the defaults).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional

from .types import TemplateVariable

MISSING_VARIABLE_SUMMARY = "No value for required variable"


def render_type(cty_type: Any) -> str:
    """Terraform's spelling of a type constraint given in cty's JSON form."""
    if cty_type in (None, "", "dynamic"):
        return "string"  # untyped variables are strings to Coder
    if isinstance(cty_type, str):
        return cty_type
    kind, *rest = cty_type
    if kind in ("list", "set", "map"):
        return f"{kind}({render_type(rest[0])})"
    if kind == "tuple":
        return "tuple([" + ", ".join(render_type(t) for t in rest[0]) + "])"
    if kind == "object":
        fields = ", ".join(f"{k} = {render_type(t)}" for k, t in rest[0].items())
        return "object({" + fields + "})"
    return json.dumps(cty_type)


def render_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def declared_variables(module: Optional[dict]) -> dict[str, TemplateVariable]:
    """Variables of the root module, in file order. Defaults are filled in later."""
    variables = ((module or {}).get("Variables") or {}).values()
    ordered = sorted(variables, key=lambda v: ((v.get("DeclRange") or {}).get("Filename", ""),
                                               ((v.get("DeclRange") or {}).get("Start") or {})
                                               .get("Line", 0)))
    return {v["Name"]: TemplateVariable(
        name=v["Name"], type=render_type(v.get("Type")), description=v.get("Description") or "",
        sensitive=bool(v.get("Sensitive"))) for v in ordered}


def apply_plan_configuration(variables: dict[str, TemplateVariable], plan: dict) -> None:
    """Fill defaults/required from `terraform show -json <plan>`'s configuration."""
    configured = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, spec in configured.items():
        variable = variables.get(name)
        if variable is None:
            continue
        if "default" in spec and spec["default"] is not None:
            variable.default_value = render_value(spec["default"])
            variable.required = False
        else:
            variable.required = True


def missing_variables(diagnostics: Iterable[dict], module: Optional[dict]) -> list[str]:
    """Names of required variables Terraform reported as unset."""
    lines = {}
    for v in ((module or {}).get("Variables") or {}).values():
        start = (v.get("DeclRange") or {}).get("Start") or {}
        filename = (v.get("DeclRange") or {}).get("Filename", "")
        lines[(filename.rsplit("/", 1)[-1], start.get("Line"))] = v["Name"]
    missing = []
    for diagnostic in diagnostics:
        if diagnostic.get("summary") != MISSING_VARIABLE_SUMMARY:
            continue
        where = diagnostic.get("range") or {}
        key = (str(where.get("filename", "")).rsplit("/", 1)[-1],
               (where.get("start") or {}).get("line"))
        name = lines.get(key) or _name_from_detail(diagnostic.get("detail", ""))
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
