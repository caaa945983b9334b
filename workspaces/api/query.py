"""`GET /workspaces?q=` search terms (Coder's syntax) compiled into one queryset filter.

Keys: owner (me/username), name (substring), template (name), status (a WorkspaceStatus),
outdated, has-agent (connecting/connected/disconnected/timeout), deleted, dormant,
organization, id; a bare word searches names. Unknown keys and bad values are a 400 on `q`.
"""
from __future__ import annotations

from django.db.models import Case, F, IntegerField, Q, When
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers

from coderportal.api.search import parse_query
from workspaces.api.serializers.agents import agent_status
from workspaces.models import WorkspaceAgent

KEYS = {"owner", "name", "template", "status", "outdated", "has-agent", "deleted", "dormant", "organization", "id"}
AGENT_STATUSES = {"connecting", "connected", "disconnected", "timeout"}
# WorkspaceStatus -> (job status, transition or None for any)
STATUS_FILTERS = {
    "pending": ("pending", None), "starting": ("running", "start"), "stopping": ("running", "stop"),
    "deleting": ("running", "delete"), "running": ("succeeded", "start"), "stopped": ("succeeded", "stop"),
    "deleted": ("succeeded", "delete"), "failed": ("failed", None), "canceling": ("canceling", None),
    "canceled": ("canceled", None),
}


def _bool(terms, key) -> bool | None:
    if key not in terms:
        return None
    value = terms[key].lower()
    if value not in ("true", "false"):
        raise serializers.ValidationError({"q": [f"Query param {key!r} must be true or false."]})
    return value == "true"


def _has_agent(queryset, wanted: str):
    """Agent status depends on the current time and each agent's timeout: evaluated in Python
    over the agents of the candidate workspaces' latest builds (one query)."""
    now = timezone.now()
    rows = WorkspaceAgent.objects.filter(resource__build__in=queryset.values("latest_build_id")).only(
        "id", "created_at", "connection_timeout_seconds", "first_connected_at", "last_connected_at",
        "disconnected_at", "resource__build_id").select_related("resource")
    builds = {a.resource.build_id for a in rows if agent_status(a, now) == wanted}
    return queryset.filter(latest_build_id__in=builds)


def apply(queryset, q: str, request_user):
    """Returns (queryset, include_deleted)."""
    terms = parse_query(q, KEYS, default_key="name")
    if "owner" in terms:
        owner = terms["owner"]
        queryset = (queryset.filter(owner_id=request_user.pk) if owner == "me"
                    else queryset.filter(owner__username__iexact=owner))
    if "name" in terms:
        queryset = queryset.filter(name__icontains=terms["name"])
    if "template" in terms:
        queryset = queryset.filter(template__name__iexact=terms["template"])
    if "organization" in terms:
        queryset = queryset.filter(organization__name__iexact=terms["organization"])
    if "id" in terms:
        import uuid

        try:
            ids = [uuid.UUID(part) for part in terms["id"].split(",") if part]
        except ValueError:
            raise serializers.ValidationError({"q": ["Query param 'id' must be UUIDs."]}) from None
        queryset = queryset.filter(id__in=ids)
    if "status" in terms:
        status = terms["status"].lower()
        if status not in STATUS_FILTERS:
            raise serializers.ValidationError({"q": [f"Query param 'status' has invalid value {status!r}."]})
        job_status, transition = STATUS_FILTERS[status]
        queryset = queryset.filter(latest_build__job__status=job_status)
        if transition:
            queryset = queryset.filter(latest_build__transition=transition)
    outdated = _bool(terms, "outdated")
    if outdated is not None:
        same = Q(latest_build__template_version_id=F("template__active_version_id"))
        queryset = queryset.filter(~same) if outdated else queryset.filter(same)
    dormant = _bool(terms, "dormant")
    if dormant is not None:
        queryset = queryset.filter(dormant_at__isnull=not dormant)
    deleted = _bool(terms, "deleted")
    queryset = queryset.filter(deleted=bool(deleted))
    if "has-agent" in terms:
        wanted = terms["has-agent"].lower()
        if wanted not in AGENT_STATUSES:
            raise serializers.ValidationError({"q": [f"Query param 'has-agent' has invalid value {wanted!r}."]})
        queryset = _has_agent(queryset, wanted)
    return queryset


def coder_order(queryset, requester_id):
    """Coder's list order: the requester's favorites, then running workspaces (latest build a
    successful start), then owner username and workspace name."""
    return queryset.annotate(
        _favorite=Case(When(favorite=True, owner_id=requester_id, then=1), default=0, output_field=IntegerField()),
        _running=Case(When(latest_build__transition="start", latest_build__job__status="succeeded", then=1),
                      default=0, output_field=IntegerField()),
    ).order_by("-_favorite", "-_running", Lower("owner__username"), Lower("name"), "id")
