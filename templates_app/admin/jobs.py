"""Provisioner jobs and daemons in the admin: read-only lists with status filters (jobs are
run, canceled and reaped by the job machinery, daemons register themselves)."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from accounts.admin.mixins import RbacAdminMixin, ReadOnlyAdminMixin
from templates_app.jobs import daemon as daemons
from templates_app.models import ProvisionerDaemon, ProvisionerJob


class ProvisionerJobAdmin(ReadOnlyAdminMixin, RbacAdminMixin, admin.ModelAdmin):
    list_display = ("id", "type", "status", "organization", "initiator", "queue", "created_at", "completed_at")
    list_filter = ("status", "type", ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("id", "error")
    list_select_related = ("organization", "initiator")
    date_hierarchy = "created_at"


class DaemonStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("busy", "Busy"), ("idle", "Idle"), ("offline", "Offline")]

    def queryset(self, request, queryset):
        online = Q(last_seen_at__gte=timezone.now() - daemons.offline_after())
        if self.value() == "busy":
            return queryset.filter(online, current_job__isnull=False)
        if self.value() == "idle":
            return queryset.filter(online, current_job__isnull=True)
        if self.value() == "offline":
            return queryset.exclude(online)
        return queryset


class ProvisionerDaemonAdmin(ReadOnlyAdminMixin, RbacAdminMixin, admin.ModelAdmin):
    list_display = ("name", "status", "organization", "tags", "version", "current_job", "last_seen_at")
    list_filter = (DaemonStatusFilter, ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name",)
    list_select_related = ("organization",)

    @admin.display(description="Status")
    def status(self, daemon):
        return daemons.status_of(daemon)


admin.site.register(ProvisionerJob, ProvisionerJobAdmin)
admin.site.register(ProvisionerDaemon, ProvisionerDaemonAdmin)
