"""The interceptions admin: a read-only list with filters and a page per interception."""
from __future__ import annotations

import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery, Sum
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from accounts import rbac
from accounts.admin.mixins import RbacAdminMixin, ReadOnlyAdminMixin
from accounts.models import User
from aibridge.models import Interception, TokenUsage, ToolUsage, UserPrompt

from .totals import parse_day, totals


class InitiatorFilter(admin.SimpleListFilter):
    title = "user"
    parameter_name = "initiator"

    def lookups(self, request, model_admin):
        ids = model_admin.get_queryset(request).values("initiator_id").distinct()
        return [(str(pk), name) for pk, name in
                User.objects.filter(id__in=ids).order_by("username").values_list("id", "username")]

    def queryset(self, request, queryset):
        return queryset.filter(initiator_id=self.value()) if self.value() else queryset


def _table(headers: tuple[str, ...], rows) -> str:
    if not rows:
        return "—"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join("", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),)
                                                  for row in rows))
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


class InterceptionAdmin(ReadOnlyAdminMixin, RbacAdminMixin, admin.ModelAdmin):
    list_display = ("started_at", "initiator", "provider", "model", "input_tokens", "output_tokens", "ended_at")
    list_filter = (InitiatorFilter, "provider", "model")
    date_hierarchy = "started_at"
    fields = ("id", "initiator", "api_key_id", "provider", "model", "metadata", "started_at", "ended_at",
              "prompts", "token_rows", "tool_calls")
    readonly_fields = fields
    change_list_template = "admin/aibridge/interception/change_list.html"

    def get_queryset(self, request):
        tokens = TokenUsage.objects.filter(interception_id=OuterRef("id")).values("interception_id")
        return super().get_queryset(request).annotate(
            initiator_name=Subquery(User.objects.filter(id=OuterRef("initiator_id")).values("username")[:1]),
            input_sum=Subquery(tokens.annotate(s=Sum("input_tokens")).values("s")[:1]),
            output_sum=Subquery(tokens.annotate(s=Sum("output_tokens")).values("s")[:1]))

    @admin.display(description="User", ordering="initiator_name")
    def initiator(self, obj):
        return obj.initiator_name or str(obj.initiator_id)

    @admin.display(description="Input tokens")
    def input_tokens(self, obj):
        return obj.input_sum or 0

    @admin.display(description="Output tokens")
    def output_tokens(self, obj):
        return obj.output_sum or 0

    @admin.display(description="Prompts")
    def prompts(self, obj):
        rows = UserPrompt.objects.filter(interception_id=obj.id).order_by("created_at", "id")
        return _table(("Time", "Message", "Prompt"), [(r.created_at, r.provider_response_id, r.prompt) for r in rows])

    @admin.display(description="Token usage")
    def token_rows(self, obj):
        rows = TokenUsage.objects.filter(interception_id=obj.id).order_by("created_at", "id")
        return _table(("Time", "Message", "Input", "Output", "Details"),
                      [(r.created_at, r.provider_response_id, r.input_tokens, r.output_tokens,
                        ", ".join(f"{k}={v}" for k, v in sorted(r.metadata.items()) if v)) for r in rows])

    @admin.display(description="Tool calls")
    def tool_calls(self, obj):
        rows = ToolUsage.objects.filter(interception_id=obj.id).order_by("created_at", "id")
        return _table(("Time", "Tool", "Input", "Server", "Injected", "Error"),
                      [(r.created_at, r.tool, r.input, r.server_url or "", r.injected, r.invocation_error or "")
                       for r in rows])

    # --- totals --------------------------------------------------------------------------------
    def get_urls(self):
        return [path("totals/", self.admin_site.admin_view(self.totals_view), name="aibridge_interception_totals"),
                *super().get_urls()]

    def totals_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        start, end = parse_day(request.GET.get("start")), parse_day(request.GET.get("end"))
        data = totals(rbac.subject_of(request.user), start, end)
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="aibridge-token-totals.csv"'
            writer = csv.writer(response)
            writer.writerow(["group", "name", "interceptions", "input_tokens", "output_tokens"])
            for group in ("user", "model"):
                for row in data[group]:
                    writer.writerow([group, row["key"], row["interceptions"], row["input_tokens"],
                                     row["output_tokens"]])
            return response
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "AI Bridge token totals",
                   "by_user": data["user"], "by_model": data["model"], "start": start, "end": end,
                   "query": request.GET.urlencode()}
        return TemplateResponse(request, "admin/aibridge/totals.html", context)


admin.site.register(Interception, InterceptionAdmin)
