"""The coder_parameter data source: a rich parameter a workspace owner fills in.

Owns: the parameter schema (options, validation, form types), resolving the value for
this build (env `CODER_PARAMETER_<sha256(name)>`, else the default) and checking it the
way Coder's provider does. The portal re-validates values before a build; the checks here
make a template that contradicts itself fail at import time with a clear message.
"""

from __future__ import annotations

import json
import os
import re
import uuid

from tf.types import Bool

from .envvars import parameter_env_var
from .schema_kit import (
    Block,
    CoderDataSource,
    ListBlock,
    Schema,
    boolean,
    computed,
    number,
    string,
)

TYPES = ("string", "number", "bool", "list(string)")
MONOTONIC = ("increasing", "decreasing")

# type -> has options -> allowed form types; the first one is the default.
_FORM_TYPES = {
    "string": {True: ["radio", "dropdown"], False: ["input", "textarea"]},
    "number": {True: ["radio", "dropdown"], False: ["input", "slider"]},
    "bool": {True: ["radio"], False: ["checkbox", "switch"]},
    "list(string)": {True: ["radio", "multi-select"], False: ["tag-select"]},
}

OPTION = ListBlock("option", Block(attributes=[
    string("name", "The display name of this value in the UI.", required=True),
    string("description", "Describe what selecting this value does."),
    string("value", "The value of this option set on the parameter if selected.",
           required=True),
    string("icon", "Icon URL shown next to the option."),
]), max_items=64)

VALIDATION = ListBlock("validation", Block(attributes=[
    number("min", "The minimum of a number parameter."),
    number("max", "The maximum of a number parameter."),
    computed("min_disabled", Bool(), "Whether min is absent."),
    computed("max_disabled", Bool(), "Whether max is absent."),
    string("monotonic", "Number monotonicity, either increasing or decreasing."),
    string("regex", "A regex the value must match."),
    string("error", "Message shown when the value breaks the rules; may use {min} {max} "
                    "{value}."),
]), max_items=1)


class ParameterError(ValueError):
    pass


def value_is_type(typ: str, value: str) -> None:
    """Raise ParameterError unless the string `value` is a valid `typ` value."""
    if typ == "number":
        try:
            float(value)
        except ValueError:
            raise ParameterError(f"{value!r} is not a number") from None
    elif typ == "bool":
        if value not in ("true", "false"):
            raise ParameterError(f"{value!r} is not a bool")
    elif typ == "list(string)":
        try:
            items = json.loads(value)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ParameterError(f"{value!r} is not an array of strings")


def resolve_form_type(typ: str, option_count: int, form_type: str) -> str:
    allowed = _FORM_TYPES.get(typ, {}).get(option_count > 0, [])
    if not allowed:
        raise ParameterError(f"value type {typ!r} is not supported for form types")
    chosen = form_type or allowed[0]
    if chosen not in allowed:
        raise ParameterError(f"form_type {chosen!r} is not supported for type {typ!r}"
                             f"{' with options' if option_count else ''}; "
                             f"use one of {', '.join(allowed)}")
    return chosen


def _validation_message(rule: dict, value: str, fallback: str) -> str:
    custom = rule.get("error")
    if not custom:
        return fallback
    for key in ("min", "max"):
        if rule.get(key) is not None:
            custom = custom.replace("{" + key + "}", _num(rule[key]))
    return custom.replace("{value}", value)


def _num(n) -> str:
    return str(int(n)) if float(n).is_integer() else str(n)


def check_rule(typ: str, rule: dict, value: str | None) -> None:
    """Check a validation block against the type, then `value` against it (if given)."""
    has_min, has_max = rule.get("min") is not None, rule.get("max") is not None
    if typ != "number" and (has_min or has_max):
        raise ParameterError(f"a {'min' if has_min else 'max'} cannot be specified for a "
                             f"{typ} type")
    if typ != "number" and rule.get("monotonic"):
        raise ParameterError("monotonic validation is only possible for number parameters")
    if rule.get("monotonic") and rule["monotonic"] not in MONOTONIC:
        raise ParameterError('number monotonicity can be either "increasing" or "decreasing"')
    if typ != "string" and rule.get("regex"):
        raise ParameterError(f"a regex cannot be specified for a {typ} type")
    if rule.get("regex"):
        try:
            pattern = re.compile(rule["regex"])
        except re.error as exc:
            raise ParameterError(f"compile regex {rule['regex']!r}: {exc}") from None
    if value is None or value == "":
        return
    if typ == "number":
        num = float(value)
        if has_min and num < rule["min"]:
            raise ParameterError(_validation_message(
                rule, value, f"value {value} is less than the minimum {_num(rule['min'])}"))
        if has_max and num > rule["max"]:
            raise ParameterError(_validation_message(
                rule, value, f"value {value} is more than the maximum {_num(rule['max'])}"))
    elif typ == "string" and rule.get("regex") and not pattern.search(value):
        message = rule.get("error") or "value does not match the required pattern"
        raise ParameterError(f"{_validation_message(rule, value, message)} "
                             f"(value {value!r} does not match {rule['regex']!r})")


def _check_options(typ: str, form_type: str, options: list[dict], default, value: str):
    if not options:
        return
    names, values = set(), set()
    for option in options:
        if option["name"] in names:
            raise ParameterError(f"multiple options cannot have the same name {option['name']!r}")
        if option["value"] in values:
            raise ParameterError(f"multiple options cannot have the same value "
                                 f"{option['value']!r}")
        # Multi-select options are plain strings; the parameter's value is their list.
        value_is_type("string" if form_type == "multi-select" else typ, option["value"])
        names.add(option["name"])
        values.add(option["value"])

    def chosen(v: str) -> list[str]:
        return json.loads(v) if form_type == "multi-select" else [v]

    if default not in (None, ""):
        bad = [v for v in chosen(default) if v not in values]
        if bad:
            raise ParameterError(f"default value {bad[0]!r} must be defined as one of options")
    if value and value != default:
        bad = [v for v in chosen(value) if v not in values]
        if bad:
            raise ParameterError(f"value {bad[0]!r} must be defined as one of options")


class ParameterDataSource(CoderDataSource):
    name = "parameter"
    schema = Schema(attributes=[
        computed("id"),
        computed("value", description="The output value of the parameter."),
        computed("optional", Bool(), "Whether this value is optional (it has a default)."),
        string("name", "The name of the parameter.", required=True),
        string("display_name", "The name shown in the interface."),
        string("description", "Describe what this parameter does (markdown)."),
        string("type", 'One of "number", "string", "bool", "list(string)".',
               default="string"),
        string("form_type", "The input widget; derived from the type when absent.",
               default=""),
        string("styling", "JSON styling hints for the form widget.", default="{}"),
        boolean("mutable", "Whether the value may change after workspace creation.",
                default=False),
        boolean("ephemeral", "Whether the value is dropped after each build.", default=False),
        string("default", "A default value for the parameter."),
        string("icon", "Icon URL shown next to the parameter."),
        number("order", "Position in the UI; lowest first, ties by name."),
        string("legacy_variable_name", "Deprecated; ignored."),
        string("legacy_variable", "Deprecated; ignored."),
    ], block_types=[OPTION, VALIDATION])

    def compute(self, ctx, config):
        try:
            return self._compute(config)
        except ParameterError as exc:
            ctx.diagnostics.add_error(f"coder_parameter {config.get('name')!r}: {exc}",
                                      path=["value"])
            return None

    def _compute(self, config: dict) -> dict:
        name, typ = config["name"], config.get("type") or "string"
        if typ not in TYPES:
            raise ParameterError(f"type {typ!r} must be one of {', '.join(TYPES)}")
        options = config.get("option") or []
        rules = config.get("validation") or []
        default = config.get("default")
        if options and rules:
            raise ParameterError('"option" and "validation" cannot be used together')
        form_type = resolve_form_type(typ, len(options), config.get("form_type") or "")
        if default not in (None, ""):
            value_is_type(typ, default)
        env_value = os.environ.get(parameter_env_var(name))
        value = env_value if env_value is not None else (default if default is not None else "")
        if value != "" and value != default:
            value_is_type(typ, value)
        _check_options(typ, form_type, options, default, value)
        for rule in rules:
            rule["min_disabled"] = rule.get("min") is None
            rule["max_disabled"] = rule.get("max") is None
            check_rule(typ, rule, value)
        if config.get("ephemeral") and not config.get("mutable"):
            raise ParameterError("ephemeral parameter must be mutable")
        if config.get("ephemeral") and default is None:
            raise ParameterError("ephemeral parameter requires the default property")
        styling = config.get("styling") or "{}"
        try:
            json.loads(styling)
        except ValueError:
            raise ParameterError("styling must be valid JSON") from None
        config.update(id=str(uuid.uuid4()), value=value, optional=default is not None,
                      type=typ, form_type=form_type, styling=styling,
                      mutable=bool(config.get("mutable")),
                      ephemeral=bool(config.get("ephemeral")))
        return config
