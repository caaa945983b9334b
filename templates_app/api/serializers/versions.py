"""Coder's TemplateVersion JSON.

`template_versions_json(versions)` serializes a list at a constant query count (queue
positions and provisioner daemons are fetched once for the whole list); rows must come
from `versions_queryset()` (job, creator and template joined). Also the JSON of what an
import found: rich parameters and variables (sensitive values redacted).
"""
from __future__ import annotations

from coderportal.api.encoding import omit_empty
from templates_app.jobs import daemon as daemons
from templates_app.jobs import queues
from templates_app.models import ProvisionerDaemon, TemplateVersion

from .jobs import NOT_QUEUED, job_metadata, provisioner_job_json, queue_info

REDACTED = "*redacted*"


def versions_queryset():
    return TemplateVersion.objects.select_related("job", "created_by", "template", "organization")


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def daemon_rows() -> list[ProvisionerDaemon]:
    return list(ProvisionerDaemon.objects.only("id", "organization_id", "tags", "last_seen_at"))


def matched_provisioners(job, daemon_list, now=None) -> dict:
    """Coder's MatchedProvisioners: daemons whose tags can run this job (same organization
    or organization-less), how many are online, and when one was last seen."""
    from django.utils import timezone

    now = now or timezone.now()
    matching = [d for d in daemon_list
                if d.organization_id in (None, job.organization_id) and queues.daemon_matches(d.tags, job.tags)]
    seen = [d.last_seen_at for d in matching if d.last_seen_at]
    cutoff = now - daemons.offline_after()
    return {"count": len(matching), "available": sum(1 for t in seen if t >= cutoff),
            "most_recently_seen": _time(max(seen)) if seen else None}


def created_by_json(user) -> dict:
    if user is None:
        return {"id": "00000000-0000-0000-0000-000000000000", "username": "", "avatar_url": "", "name": ""}
    return {"id": str(user.id), "username": user.username, "avatar_url": user.avatar_url, "name": user.name}


def template_version_json(version, queue=None, daemon_list=None) -> dict:
    job = version.job
    if queue is None:
        queue = queue_info([job]).get(job.id, NOT_QUEUED)
    if daemon_list is None:
        daemon_list = daemon_rows()
    template = version.template
    return omit_empty({
        "id": str(version.id),
        "template_id": str(version.template_id) if version.template_id else None,
        "organization_id": str(version.organization_id),
        "created_at": _time(version.created_at),
        "updated_at": _time(version.updated_at),
        "name": version.name,
        "message": version.message,
        "job": provisioner_job_json(job, queue=queue, metadata=job_metadata(job, version, template)),
        "readme": version.readme,
        "created_by": created_by_json(version.created_by),
        "archived": version.archived,
        "warnings": [],
        "matched_provisioners": matched_provisioners(job, daemon_list),
    }, "template_id", "warnings", "matched_provisioners")


def template_versions_json(versions) -> list[dict]:
    versions = list(versions)
    queue = queue_info([v.job for v in versions])
    daemon_list = daemon_rows() if versions else []
    return [template_version_json(v, queue=queue.get(v.job_id, NOT_QUEUED), daemon_list=daemon_list)
            for v in versions]


def parameter_json(p) -> dict:
    """Coder's TemplateVersionParameter."""
    return omit_empty({
        "name": p.name,
        "display_name": p.display_name,
        "description": p.description,
        "description_plaintext": p.description,
        "type": p.type,
        "form_type": p.form_type,
        "mutable": p.mutable,
        "default_value": p.default_value,
        "icon": p.icon,
        "options": [{"name": o.get("name", ""), "description": o.get("description", ""),
                     "value": o.get("value", ""), "icon": o.get("icon", "")} for o in (p.options or [])],
        "validation_error": p.validation_error,
        "validation_regex": p.validation_regex,
        "validation_min": p.validation_min,
        "validation_max": p.validation_max,
        "validation_monotonic": p.validation_monotonic,
        "required": p.required,
        "ephemeral": p.ephemeral,
    }, "validation_error", "validation_regex", "validation_min", "validation_max", "validation_monotonic")


def variable_json(v) -> dict:
    """Coder's TemplateVersionVariable; sensitive values never leave the server."""
    def shown(value):
        return REDACTED if v.sensitive and value else value

    return {"name": v.name, "description": v.description, "type": v.type, "value": shown(v.value),
            "default_value": shown(v.default_value), "required": v.required, "sensitive": v.sensitive}
