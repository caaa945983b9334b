"""`GET /api/v2/aibridge/interceptions`: finished interceptions with their records.

Members see their own, auditors and owners everyone's (accounts.rbac decides). A page
costs a constant number of queries: the page, its initiators, and one per child table.
"""
from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts import rbac
from accounts.models import User
from accounts.services.errors import ValidationFailed
from aibridge import query
from aibridge.models import Interception, TokenUsage, ToolUsage, UserPrompt
from aibridge.recorder import rfc3339
from coderportal.api.views import PortalAPIView


def visible_interceptions(subject, filters: query.Filters):
    finished = Interception.objects.filter(ended_at__isnull=False).filter(filters.q())
    return rbac.filter_queryset(subject, rbac.Action.READ, finished)


def _child(row) -> dict:
    return {"id": str(row.id), "interception_id": str(row.interception_id),
            "provider_response_id": row.provider_response_id}


def render(page: list[Interception]) -> list[dict]:
    ids = [i.id for i in page]
    users = {u.id: u for u in User.objects.filter(id__in={i.initiator_id for i in page})}
    children: dict = {i: {"token_usages": [], "user_prompts": [], "tool_usages": []} for i in ids}
    for row in TokenUsage.objects.filter(interception_id__in=ids).order_by("created_at", "id"):
        children[row.interception_id]["token_usages"].append({
            **_child(row), "input_tokens": row.input_tokens, "output_tokens": row.output_tokens,
            "metadata": row.metadata, "created_at": rfc3339(row.created_at)})
    for row in UserPrompt.objects.filter(interception_id__in=ids).order_by("created_at", "id"):
        children[row.interception_id]["user_prompts"].append({
            **_child(row), "prompt": row.prompt, "metadata": row.metadata, "created_at": rfc3339(row.created_at)})
    for row in ToolUsage.objects.filter(interception_id__in=ids).order_by("created_at", "id"):
        children[row.interception_id]["tool_usages"].append({
            **_child(row), "server_url": row.server_url or "", "tool": row.tool, "input": row.input,
            "injected": row.injected, "invocation_error": row.invocation_error or "", "metadata": row.metadata,
            "created_at": rfc3339(row.created_at)})
    out = []
    for item in page:
        user = users.get(item.initiator_id)
        out.append({
            "id": str(item.id), "api_key_id": item.api_key_id,
            "initiator": {"id": str(item.initiator_id), "username": user.username if user else "",
                          "name": user.name if user else "", "avatar_url": user.avatar_url if user else ""},
            "provider": item.provider, "model": item.model, "metadata": item.metadata,
            "started_at": rfc3339(item.started_at), "ended_at": rfc3339(item.ended_at) if item.ended_at else None,
            **children[item.id]})
    return out


class InterceptionListView(PortalAPIView):
    @extend_schema(operation_id="list-aibridge-interceptions", parameters=[
        OpenApiParameter("q", str, description="initiator:me|username|uuid provider: model: started_after: "
                                               "started_before:"),
        OpenApiParameter("limit", int, description="Page size, at most 1000 (default 100)"),
        OpenApiParameter("after_id", str, description="Cursor: the last interception id of the previous page"),
        OpenApiParameter("offset", int, description="Page offset")])
    def get(self, request):
        limit, offset, after_id = query.page(request.query_params)
        filters = query.parse(request.query_params.get("q", ""), request.user)
        queryset = visible_interceptions(self.subject, filters)
        count = queryset.count()
        if after_id:
            cursor = queryset.filter(id=after_id).values("started_at", "id").first()
            if cursor is None:
                raise ValidationFailed("Query parameters have invalid values.",
                                       {"after_id": "No interception with this id."})
            queryset = queryset.filter(Q(started_at__lt=cursor["started_at"])
                                       | Q(started_at=cursor["started_at"], id__lt=cursor["id"]))
        page = list(queryset.order_by("-started_at", "-id")[offset:offset + limit])
        return Response({"count": count, "results": render(page)})
