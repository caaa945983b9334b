"""`GET /api/v2/audit`: the audit log in Coder's shape, filtered by the RBAC engine.

Visibility follows current Coder: owners and auditors read everything, organization
auditors read their organizations' entries, everyone else gets an empty list (200) — the
engine's `filter_queryset` decides, so nothing leaks and no role is tested by name.

Search terms (`q=`): resource_type (also a bare word), resource_id, resource_target, action,
username (`me` = the caller), email, date_from / date_to (YYYY-MM-DD, inclusive),
build_reason, request_id, organization (id or name). A page costs a constant number of
queries whatever its size.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts import rbac
from accounts.api.serializers.audit import AuditLogResponseSerializer, AuditLogSerializer
from accounts.models import AuditLog, Group, Organization, Role, User
from accounts.services import audit
from coderportal.api.search import parse_query
from coderportal.api.views import PortalAPIView, paginate, pagination

DEFAULT_LIMIT = 100  # Coder's default page when `limit` is missing or 0
SEARCH_KEYS = {"resource_type", "resource_id", "resource_target", "action", "username", "email", "date_from",
               "date_to", "build_reason", "request_id", "organization"}
# Resource types whose rows we can look up for `is_deleted` and an admin `resource_link`.
LINKABLE = {"user": User, "organization": Organization, "group": Group, "custom_role": Role}


def _day(terms: dict, key: str) -> date | None:
    if key not in terms:
        return None
    try:
        return datetime.strptime(terms[key], "%Y-%m-%d").date()
    except ValueError:
        raise serializers.ValidationError(
            {"q": [f"Query param {key!r} must be a valid date format (YYYY-MM-DD)."]}) from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def filter_entries(queryset, terms: dict, caller):
    """Apply the `q=` terms; string matches are case-insensitive as in Coder."""
    exact = {"resource_type": "resource_type__iexact", "action": "action__iexact",
             "resource_target": "resource_target__iexact", "resource_id": "resource_id__iexact",
             "email": "user__email__iexact", "request_id": "request_id__iexact",
             "build_reason": "additional_fields__build_reason"}
    for key, lookup in exact.items():
        if key in terms:
            queryset = queryset.filter(**{lookup: terms[key]})
    if "username" in terms:
        if terms["username"].lower() == "me":
            queryset = queryset.filter(user_id=getattr(caller, "pk", None))
        else:
            queryset = queryset.filter(user__username__iexact=terms["username"])
    if "organization" in terms:
        queryset = queryset.filter(_organization_q(terms["organization"]))
    if (start := _day(terms, "date_from")) is not None:
        queryset = queryset.filter(time__gte=_start_of(start))
    if (end := _day(terms, "date_to")) is not None:
        queryset = queryset.filter(time__lt=_start_of(end + timedelta(days=1)))
    return queryset


def _organization_q(value: str) -> Q:
    try:
        return Q(organization_id=uuid.UUID(value))
    except ValueError:
        return Q(organization__name__iexact=value)


def resource_facts(entries) -> tuple[set, dict]:
    """Which entries point at deleted resources, and admin links for the others
    (one query per linkable resource type on the page)."""
    deleted, links = set(), {}
    by_type: dict[str, list] = {}
    for entry in entries:
        if entry.resource_type in LINKABLE:
            by_type.setdefault(entry.resource_type, []).append(entry)
    for resource_type, group in by_type.items():
        model = LINKABLE[resource_type]
        ids = set()
        for entry in group:
            try:
                ids.add(uuid.UUID(entry.resource_id))
            except ValueError:
                pass
        live = model._default_manager.filter(pk__in=ids)
        if model is User:
            live = live.filter(deleted=False)
        live_ids = {str(pk) for pk in live.values_list("pk", flat=True)}
        for entry in group:
            if entry.resource_id.lower() not in live_ids:
                deleted.add(entry.pk)
                continue
            try:
                links[entry.pk] = reverse(f"admin:accounts_{model._meta.model_name}_change",
                                          args=[entry.resource_id])
            except NoReverseMatch:
                pass
    return deleted, links


class AuditLogsView(PortalAPIView):
    @extend_schema(operation_id="get-audit-logs", summary="Get audit logs", tags=["Audit"],
                   parameters=[OpenApiParameter("q", str, description="Search query"),
                               OpenApiParameter("limit", int, description=f"Page limit (default {DEFAULT_LIMIT})"),
                               OpenApiParameter("offset", int, description="Page offset")],
                   responses=AuditLogResponseSerializer)
    def get(self, request):
        limit, offset = pagination(request, default_limit=DEFAULT_LIMIT)
        terms = parse_query(request.query_params.get("q", ""), SEARCH_KEYS, default_key="resource_type")
        # Only rows of Coder's resource types: others (admin-only objects) stay in the admin.
        queryset = rbac.filter_queryset(self.subject, "read", AuditLog.objects.filter(
            resource_type__in=audit.CODER_RESOURCE_TYPES))
        queryset = filter_entries(queryset, terms, request.user)
        count = queryset.count()
        page = list(paginate(queryset.select_related("user", "organization").prefetch_related("user__site_roles")
                             .order_by("-time", "-id"), limit or DEFAULT_LIMIT, offset))
        deleted, links = resource_facts(page)
        data = AuditLogSerializer(page, many=True, context={"deleted": deleted, "links": links}).data
        return Response({"audit_logs": data, "count": count, "count_cap": 0})
