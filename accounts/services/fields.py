"""Checks shared by services for the descriptive fields many objects carry
(display name, description, icon), each object with its own limits."""
from __future__ import annotations


def descriptive_field_errors(values: dict, errors: dict, *, display_name_max: int, description_max: int,
                             icon_max: int) -> None:
    """Add to `errors` what is wrong with `display_name`, `description` and `icon` in `values`."""
    display_name = values.get("display_name")
    if display_name:
        if len(display_name) > display_name_max:
            errors["display_name"] = f"Display name must be at most {display_name_max} characters."
        elif display_name != display_name.strip():
            errors["display_name"] = "Display name must not start or end with whitespace."
    if len(values.get("description") or "") > description_max:
        errors["description"] = f"Description must be at most {description_max} characters."
    if len(values.get("icon") or "") > icon_max:
        errors["icon"] = f"Icon must be at most {icon_max} characters."
