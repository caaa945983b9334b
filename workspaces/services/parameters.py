"""Rich parameter values for a build, validated with Coder's semantics before any build exists.

For each parameter of the template version: a value from the request wins; otherwise the
previous build's value carries forward (never for ephemeral parameters); otherwise the
default; a required parameter with none of these is an error. Values are checked against
type, options, min/max, regex (with the template's error message) and monotonic order; an
immutable parameter cannot change once set. Unknown names are errors. Every problem is
reported per field, and nothing is created when any is found.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from accounts.services.errors import ValidationFailed


@dataclass
class ResolvedParameters:
    values: dict[str, str]      # every parameter's value for this build (ephemeral included)
    stored: dict[str, str]      # what the build records (ephemeral excluded)
    ephemeral: dict[str, str]   # used once, never recorded


def _format_error(template: str, parameter, value: str) -> str:
    return (template.replace("{min}", str(parameter.validation_min))
            .replace("{max}", str(parameter.validation_max)).replace("{value}", value))


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def check_value(parameter, value: str, previous: str | None) -> str | None:
    """The problem with `value` for `parameter`, or None."""
    kind = parameter.type
    if kind == "number":
        number = _number(value)
        if number is None:
            return f"Parameter {parameter.name!r} must be a number, got {value!r}."
        low, high = parameter.validation_min, parameter.validation_max
        if (low is not None and number < low) or (high is not None and number > high):
            if parameter.validation_error:
                return _format_error(parameter.validation_error, parameter, value)
            return f"Value {value} must be between {low} and {high}."
        mono = parameter.validation_monotonic
        prev = _number(previous) if previous not in (None, "") else None
        if prev is not None and mono == "increasing" and number < prev:
            return f"Parameter {parameter.name!r} is monotonic increasing: {value} is less than {previous}."
        if prev is not None and mono == "decreasing" and number > prev:
            return f"Parameter {parameter.name!r} is monotonic decreasing: {value} is more than {previous}."
    elif kind == "bool":
        if value not in ("true", "false"):
            return f"Parameter {parameter.name!r} must be true or false, got {value!r}."
    elif kind == "list(string)":
        try:
            items = json.loads(value)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return f"Parameter {parameter.name!r} must be a JSON list of strings."
        if parameter.options:
            allowed = {o["value"] for o in parameter.options}
            bad = [i for i in items if i not in allowed]
            if bad:
                return f"Value {bad[0]!r} is not an option of {parameter.name!r}."
        return None
    if parameter.options and kind != "list(string)":
        allowed = [o["value"] for o in parameter.options]
        if value not in allowed:
            return f"Value {value!r} is not one of the options of {parameter.name!r}: {', '.join(allowed)}."
    if parameter.validation_regex and kind == "string":
        try:
            matched = re.search(parameter.validation_regex, value) is not None
        except re.error:
            matched = True  # an unparsable regex is the template's bug, not the user's
        if not matched:
            return _format_error(parameter.validation_error or f"Value must match {parameter.validation_regex}.",
                                 parameter, value)
    return None


def resolve(parameters, requested: dict[str, str], previous: dict[str, str], *,
            first_build: bool) -> ResolvedParameters:
    """Compute and validate the values of `parameters` (TemplateVersionParameter rows)."""
    errors: dict[str, str] = {}
    known = {p.name for p in parameters}
    for name in requested:
        if name not in known:
            errors[name] = f"Parameter {name!r} does not exist in this template version."
    values, stored, ephemeral = {}, {}, {}
    for p in parameters:
        had_previous = p.name in previous and not p.ephemeral
        if p.name in requested:
            value = requested[p.name]
            if (not p.mutable and had_previous and not first_build and value != previous[p.name]):
                errors[p.name] = f"Parameter {p.name!r} is immutable and cannot be updated after the first build."
                continue
        elif had_previous:
            value = previous[p.name]
        elif p.required:
            errors[p.name] = f"Parameter {p.name!r} is required but no value was provided."
            continue
        else:
            value = p.default_value
        problem = check_value(p, value, previous.get(p.name))
        if problem:
            errors[p.name] = problem
            continue
        values[p.name] = value
        (ephemeral if p.ephemeral else stored)[p.name] = value
    if errors:
        raise ValidationFailed("Invalid rich parameter values.",
                               {f"rich_parameter_values.{k}": v for k, v in errors.items()})
    return ResolvedParameters(values=values, stored=stored, ephemeral=ephemeral)


def requested_values(items) -> dict[str, str]:
    """`[{name, value}]` from a request body -> dict (duplicates are an error)."""
    out: dict[str, str] = {}
    for item in items or []:
        if item["name"] in out:
            raise ValidationFailed("Invalid rich parameter values.",
                                   {f"rich_parameter_values.{item['name']}": "Parameter given more than once."})
        out[item["name"]] = item["value"]
    return out
