"""Validation and normalisation of a template's editable fields (Coder's rules).

Shared by template creation and update (API and admin alike): names, display fields, the
scheduling policy (TTLs, autostop/autostart requirements) and the access policy fields.
Functions collect every problem into one `{field: detail}` dict so a request learns all of
its mistakes at once.
"""
from __future__ import annotations

import re

from accounts.services.fields import descriptive_field_errors
from templates_app.models.templates import PortShareLevel

NAME_RE = re.compile(r"^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$")
NAME_MAX = 32
DISPLAY_NAME_MAX = 64
DESCRIPTION_MAX = 128
ICON_MAX = 512
DEPRECATION_MESSAGE_MAX = 4096
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_AUTOSTOP_WEEKS = 16
# Coder refuses dormancy/failure TTLs under a minute: a tiny value sent by mistake would
# delete or stop workspaces almost immediately.
MIN_CLEANUP_TTL_MS = 60_000
MAX_MS = 2**63 - 1

TEXT_FIELDS = ("name", "display_name", "description", "icon")
BOOL_FIELDS = ("allow_user_autostart", "allow_user_autostop", "allow_user_cancel_workspace_jobs",
               "require_active_version")
TTL_FIELDS = ("default_ttl_ms", "activity_bump_ms")
CLEANUP_TTL_FIELDS = ("failure_ttl_ms", "time_til_dormant_ms", "time_til_dormant_autodelete_ms")
SCHEDULE_FIELDS = TTL_FIELDS + CLEANUP_TTL_FIELDS + (
    "autostop_requirement_days_of_week", "autostop_requirement_weeks", "autostart_requirement_days_of_week")
EDITABLE_FIELDS = TEXT_FIELDS + BOOL_FIELDS + SCHEDULE_FIELDS + ("deprecation_message", "max_port_share_level")
# What the audit diff of a template shows.
AUDITED_FIELDS = EDITABLE_FIELDS + ("active_version_id", "deleted")


def name_error(name) -> str | None:
    if not isinstance(name, str) or not name:
        return "Name is required."
    if len(name) > NAME_MAX or not NAME_RE.match(name):
        return (f"Name must be 1-{NAME_MAX} letters, digits and single hyphens, "
                "not starting or ending with a hyphen.")
    return None


def _text_errors(values: dict, errors: dict) -> None:
    if "name" in values and (message := name_error(values["name"])):
        errors["name"] = message
    descriptive_field_errors(values, errors, display_name_max=DISPLAY_NAME_MAX, description_max=DESCRIPTION_MAX,
                             icon_max=ICON_MAX)
    if len(values.get("deprecation_message") or "") > DEPRECATION_MESSAGE_MAX:
        errors["deprecation_message"] = f"Deprecation message must be at most {DEPRECATION_MESSAGE_MAX} characters."


def _days(value, field: str, errors: dict) -> list[str] | None:
    """A list of weekday names -> canonical (lower-case, Monday-first, unique) list."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(d, str) for d in value):
        errors[field] = "Must be a list of weekday names."
        return None
    wanted = {d.lower() for d in value}
    invalid = sorted(wanted - set(WEEKDAYS))
    if invalid:
        errors[field] = f"Invalid weekday {invalid[0]!r}: use monday ... sunday."
        return None
    return [d for d in WEEKDAYS if d in wanted]


def _schedule_errors(values: dict, errors: dict) -> None:
    for field in TTL_FIELDS:
        if field in values and values[field] < 0:
            errors[field] = "Must be a positive integer."
    for field in CLEANUP_TTL_FIELDS:
        if field in values and (values[field] < 0 or 0 < values[field] < MIN_CLEANUP_TTL_MS):
            errors[field] = "Value must be at least one minute."
    for field in TTL_FIELDS + CLEANUP_TTL_FIELDS:
        if field in values and values[field] > MAX_MS:
            errors[field] = "Value is too large."
    if "autostop_requirement_days_of_week" in values:
        days = _days(values["autostop_requirement_days_of_week"], "autostop_requirement.days_of_week", errors)
        if days is not None:
            values["autostop_requirement_days_of_week"] = days
    if "autostart_requirement_days_of_week" in values:
        days = _days(values["autostart_requirement_days_of_week"], "autostart_requirement.days_of_week", errors)
        if days is not None:
            values["autostart_requirement_days_of_week"] = days
    if "autostop_requirement_weeks" in values:
        weeks = values["autostop_requirement_weeks"]
        if weeks < 0:
            errors["autostop_requirement.weeks"] = "Must be a positive integer."
        elif weeks > MAX_AUTOSTOP_WEEKS:
            errors["autostop_requirement.weeks"] = f"Must be at most {MAX_AUTOSTOP_WEEKS}."
        elif weeks == 0:  # Coder: 0 and 1 both mean "every week"
            values["autostop_requirement_weeks"] = 1


def validate(values: dict) -> dict[str, str]:
    """Check (and canonicalise in place) template field values; returns `{field: detail}`."""
    errors: dict[str, str] = {}
    _text_errors(values, errors)
    _schedule_errors(values, errors)
    level = values.get("max_port_share_level")
    if level is not None and level not in PortShareLevel.values:
        errors["max_port_share_level"] = f"Must be one of: {', '.join(PortShareLevel.values)}."
    return errors
