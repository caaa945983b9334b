"""The audit log in the admin: read-only, for whoever the engine lets read `audit_log`
(owners and auditors; organization auditors see their organizations' rows)."""
from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from accounts.models import AuditLog

from .mixins import RbacAdminMixin, ReadOnlyAdminMixin

SHOWN = ("time", "user", "action", "resource_type", "resource_target", "resource_id", "organization",
         "status_code", "ip", "user_agent", "request_id", "description", "pretty_diff", "pretty_additional_fields")


class AuditLogAdmin(ReadOnlyAdminMixin, RbacAdminMixin, admin.ModelAdmin):
    list_display = ("time", "user", "action", "resource_type", "resource_target", "organization", "status_code")
    list_filter = ("action", "resource_type", ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("resource_target", "resource_id", "user__username", "user__email")
    list_select_related = ("user", "organization")
    date_hierarchy = "time"
    fields = SHOWN
    readonly_fields = SHOWN

    @admin.display(description="Diff")
    def pretty_diff(self, entry):
        return format_html("<pre>{}</pre>", json.dumps(entry.diff, indent=2, sort_keys=True))

    @admin.display(description="Additional fields")
    def pretty_additional_fields(self, entry):
        return format_html("<pre>{}</pre>", json.dumps(entry.additional_fields, indent=2, sort_keys=True))


admin.site.register(AuditLog, AuditLogAdmin)
