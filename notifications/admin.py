"""Notifications in the admin: the message log (status, attempts, errors; resend), the
templates with their method and webhook format, and the logged-in user's own inbox."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from accounts.admin.mixins import RbacAdminMixin, ReadOnlyAdminMixin, actor_for
from notifications.models import InboxNotification, NotificationMessage, NotificationTemplate
from notifications.services import inbox, settings


class NotificationMessageAdmin(RbacAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "template", "user", "method", "status", "attempt_count", "short_error", "sent_at")
    list_filter = ("status", "method", "template")
    search_fields = ("id", "user__username", "template__name")
    list_select_related = ("template", "user")
    fields = ("id", "template", "user", "method", "status", "attempt_count", "last_error", "payload", "targets",
              "created_by", "created_at", "updated_at", "leased_until", "next_retry_after", "sent_at")
    readonly_fields = fields
    actions = ["resend"]

    @admin.display(description="Error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Resend the selected messages")
    def resend(self, request, queryset):
        count = settings.resend(queryset, actor=actor_for(request))
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Shown only to those who may update messages (the action itself authorizes each row).
        if not self.rbac_allows(request, "update"):
            actions.pop("resend", None)
        return actions


class TemplateForm(forms.ModelForm):
    class Meta:
        model = NotificationTemplate
        fields = ("method", "webhook_format")


class NotificationTemplateAdmin(RbacAdminMixin, admin.ModelAdmin):
    form = TemplateForm
    list_display = ("name", "group", "method_shown", "webhook_format", "enabled_by_default", "id")
    list_filter = ("group", "method")
    search_fields = ("name", "id")
    fields = ("id", "name", "group", "title_template", "body_template", "actions", "method", "webhook_format")
    readonly_fields = ("id", "name", "group", "title_template", "body_template", "actions")

    @admin.display(description="Method")
    def method_shown(self, obj):
        return obj.method or f"default ({settings.default_method()})"

    def has_add_permission(self, request, *args):
        return False  # system templates come with the product

    def has_delete_permission(self, request, obj=None):
        return False

    def apply(self, request, obj, form, change):
        actor = actor_for(request)
        settings.set_template_method(obj.pk, form.cleaned_data["method"], actor=actor)
        return settings.set_template_webhook_format(obj.pk, form.cleaned_data["webhook_format"], actor=actor)


class InboxNotificationAdmin(RbacAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "title", "unread", "template")
    list_filter = ("read_at",)
    list_select_related = ("template",)
    fields = ("title", "content", "actions", "targets", "template", "created_at", "read_at")
    readonly_fields = fields
    actions = ["mark_read"]

    def get_queryset(self, request):
        # Everyone's inbox in the admin is their own, owners included (as in Coder's UI).
        return super().get_queryset(request).filter(user=request.user)

    @admin.display(boolean=True, description="Unread")
    def unread(self, obj):
        return obj.read_at is None

    @admin.action(description="Mark as read")
    def mark_read(self, request, queryset):
        actor = actor_for(request)
        for item in queryset:
            inbox.set_read(item.pk, actor=actor, read=True)
        self.message_user(request, "Marked as read.", messages.SUCCESS)


admin.site.register(NotificationMessage, NotificationMessageAdmin)
admin.site.register(NotificationTemplate, NotificationTemplateAdmin)
admin.site.register(InboxNotification, InboxNotificationAdmin)
