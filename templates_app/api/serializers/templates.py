"""Templates in Coder's shapes: CreateTemplateRequest, UpdateTemplateMeta,
UpdateActiveTemplateVersion, UpdateTemplateACL (requests) and the Template JSON.

`template_json` reads only the template, its organization and creator: list callers use
`services.templates.templates_queryset()` (select_related) for a constant query count.
"""
from __future__ import annotations

from rest_framework import serializers

from coderportal.api.fields import RequestSerializer
from templates_app.models.templates import PortShareLevel

from .fields import DaysOfWeekField, StrictBooleanField, StrictCharField, StrictIntegerField, StrictUUIDField

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
TRANSITIONS = ("start", "stop", "delete")


# --- requests ---------------------------------------------------------------------------------
class AutostopRequirementSerializer(RequestSerializer):
    days_of_week = DaysOfWeekField(required=False, default=list)
    weeks = StrictIntegerField(required=False, default=0)


class AutostartRequirementSerializer(RequestSerializer):
    days_of_week = DaysOfWeekField(required=False, default=list)


def _opt_int():
    return StrictIntegerField(required=False, allow_null=True, default=None)


def _opt_bool():
    return StrictBooleanField(required=False, allow_null=True, default=None)


def _opt_text(max_length):
    # Lengths are the service's to judge (it gives Coder's messages); this only bounds the body.
    return StrictCharField(required=False, allow_blank=True, allow_null=True, default=None, max_length=max_length)


class _TemplateFields(RequestSerializer):
    display_name = _opt_text(1024)
    description = _opt_text(4096)
    icon = _opt_text(4096)
    default_ttl_ms = _opt_int()
    activity_bump_ms = _opt_int()
    autostop_requirement = AutostopRequirementSerializer(required=False, allow_null=True, default=None)
    autostart_requirement = AutostartRequirementSerializer(required=False, allow_null=True, default=None)
    allow_user_autostart = _opt_bool()
    allow_user_autostop = _opt_bool()
    allow_user_cancel_workspace_jobs = _opt_bool()
    failure_ttl_ms = _opt_int()
    require_active_version = _opt_bool()
    max_port_share_level = serializers.ChoiceField(choices=PortShareLevel.values, required=False, allow_null=True,
                                                   default=None)
    disable_everyone_group_access = StrictBooleanField(required=False, default=False)
    # Accepted for compatibility; this portal has one (dynamic/classic-agnostic) parameter flow.
    use_classic_parameter_flow = _opt_bool()


class CreateTemplateRequest(_TemplateFields):
    name = StrictCharField(max_length=1024)
    template_version_id = StrictUUIDField()
    dormant_ttl_ms = _opt_int()
    delete_ttl_ms = _opt_int()


class UpdateTemplateMeta(_TemplateFields):
    name = _opt_text(1024)
    time_til_dormant_ms = _opt_int()
    time_til_dormant_autodelete_ms = _opt_int()
    deprecation_message = _opt_text(8192)
    update_workspace_last_used_at = StrictBooleanField(required=False, default=False)
    update_workspace_dormant_at = StrictBooleanField(required=False, default=False)


class UpdateActiveTemplateVersion(RequestSerializer):
    id = StrictUUIDField()


class UpdateTemplateACL(RequestSerializer):
    user_perms = serializers.DictField(child=StrictCharField(allow_blank=True, max_length=16), required=False,
                                       default=dict, allow_empty=True)
    group_perms = serializers.DictField(child=StrictCharField(allow_blank=True, max_length=16), required=False,
                                        default=dict, allow_empty=True)


# API field name -> service (model) field name, where they differ.
CREATE_RENAMES = {"dormant_ttl_ms": "time_til_dormant_ms", "delete_ttl_ms": "time_til_dormant_autodelete_ms"}
IGNORED = ("use_classic_parameter_flow",)


def service_fields(data: dict, renames: dict | None = None) -> dict:
    """A validated request body -> keyword arguments of the template services."""
    renames = renames or {}
    out = {}
    for key, value in data.items():
        if key in IGNORED:
            continue
        if key == "autostop_requirement":
            if value is not None:
                out["autostop_requirement_days_of_week"] = value["days_of_week"]
                out["autostop_requirement_weeks"] = value["weeks"]
            continue
        if key == "autostart_requirement":
            if value is not None:
                out["autostart_requirement_days_of_week"] = value["days_of_week"]
            continue
        out[renames.get(key, key)] = value
    return out


def api_validations(validations: dict, renames: dict | None = None) -> dict:
    """Service field names in validation errors -> the request's own field names."""
    back = {v: k for k, v in (renames or {}).items()}
    return {back.get(k, k): v for k, v in validations.items()}


# --- responses --------------------------------------------------------------------------------
def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def build_time_stats() -> dict:
    # Coder's TransitionStats has no json tags, so Go spells its keys P50/P95; null means
    # "no builds yet".
    return {t: {"P50": None, "P95": None} for t in TRANSITIONS}


def template_json(template, active_user_count: int = 0) -> dict:
    org = template.organization
    creator = template.created_by
    return {
        "id": str(template.id),
        "created_at": _time(template.created_at),
        "updated_at": _time(template.updated_at),
        "organization_id": str(org.id),
        "organization_name": org.name,
        "organization_display_name": org.display_name or org.name,
        "organization_icon": org.icon,
        "name": template.name,
        "display_name": template.display_name,
        "description": template.description,
        "icon": template.icon,
        "provisioner": template.provisioner,
        "active_version_id": str(template.active_version_id) if template.active_version_id else ZERO_UUID,
        "active_user_count": active_user_count,
        "build_time_stats": build_time_stats(),
        "deprecated": bool(template.deprecation_message),
        "deprecation_message": template.deprecation_message,
        "default_ttl_ms": template.default_ttl_ms,
        "activity_bump_ms": template.activity_bump_ms,
        "autostop_requirement": {"days_of_week": list(template.autostop_requirement_days_of_week or []),
                                 "weeks": template.autostop_requirement_weeks},
        "autostart_requirement": {"days_of_week": list(template.autostart_requirement_days_of_week or [])},
        "allow_user_autostart": template.allow_user_autostart,
        "allow_user_autostop": template.allow_user_autostop,
        "allow_user_cancel_workspace_jobs": template.allow_user_cancel_workspace_jobs,
        "failure_ttl_ms": template.failure_ttl_ms,
        "time_til_dormant_ms": template.time_til_dormant_ms,
        "time_til_dormant_autodelete_ms": template.time_til_dormant_autodelete_ms,
        "require_active_version": template.require_active_version,
        "max_port_share_level": template.max_port_share_level,
        "created_by_id": str(creator.id) if creator else ZERO_UUID,
        "created_by_name": creator.username if creator else "",
        "use_classic_parameter_flow": False,
    }
