"""Coder's notification routes: settings (pause), system templates and their method, dispatch
methods, per-user preferences, the test notification and the inbox. Views are thin."""
from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response

from accounts.services import users as user_services
from coderportal.api.fields import RequestSerializer
from coderportal.api.views import PortalAPIView
from notifications.services import inbox, settings

INBOX_PAGE = 25


def template_json(t) -> dict:
    return {"id": str(t.id), "name": t.name, "title_template": t.title_template, "body_template": t.body_template,
            "actions": t.actions, "group": t.group, "method": t.method, "kind": t.kind,
            "enabled_by_default": t.enabled_by_default, "webhook_format": t.webhook_format}


def preference_json(p) -> dict:
    return {"id": str(p.template_id), "disabled": p.disabled, "updated_at": p.updated_at.isoformat()}


class PausedBody(RequestSerializer):
    notifier_paused = serializers.BooleanField()


class MethodBody(RequestSerializer):
    method = serializers.CharField(allow_blank=True, max_length=16)


class PreferencesBody(RequestSerializer):
    template_disabled_map = serializers.DictField(child=serializers.BooleanField(), allow_empty=True)

    def validate_template_disabled_map(self, value):
        if len(value) > 500:
            raise serializers.ValidationError("At most 500 templates at once.")
        return value


class ReadStatusBody(RequestSerializer):
    is_read = serializers.BooleanField()


class SettingsView(PortalAPIView):
    def get(self, request):
        return Response({"notifier_paused": settings.get_settings(actor=self.actor).notifier_paused})

    def put(self, request):
        body = self.parse(PausedBody)
        current, changed = settings.set_paused(body["notifier_paused"], actor=self.actor)
        return Response({"notifier_paused": current.notifier_paused}, status=200 if changed else 304)


class SystemTemplatesView(PortalAPIView):
    def get(self, request):
        return Response([template_json(t) for t in settings.system_templates(actor=self.actor)])


class TemplateMethodView(PortalAPIView):
    def put(self, request, template_id):
        body = self.parse(MethodBody)
        template, changed = settings.set_template_method(template_id, body["method"], actor=self.actor)
        return Response(template_json(template), status=200 if changed else 304)


class DispatchMethodsView(PortalAPIView):
    def get(self, request):
        return Response(settings.dispatch_methods())


class TestNotificationView(PortalAPIView):
    def post(self, request):
        settings.send_test(actor=self.actor)
        return Response(status=200)


class PreferencesView(PortalAPIView):
    def get(self, request, user):
        target = user_services.get_user(user, actor=self.actor)
        return Response([preference_json(p) for p in settings.preferences(target, actor=self.actor)])

    def put(self, request, user):
        target = user_services.get_user(user, actor=self.actor)
        body = self.parse(PreferencesBody)
        prefs = settings.set_preferences(target, body["template_disabled_map"], actor=self.actor)
        return Response([preference_json(p) for p in prefs])


def _csv(request, name: str) -> list[str]:
    return [v.strip() for v in request.query_params.get(name, "").split(",") if v.strip()]


class InboxView(PortalAPIView):
    def get(self, request):
        items, unread = inbox.list_inbox(actor=self.actor, targets=_csv(request, "targets"),
                                         templates=_csv(request, "templates"),
                                         read_status=request.query_params.get("read_status") or "all",
                                         starting_before=request.query_params.get("starting_before") or None,
                                         limit=INBOX_PAGE)
        return Response({"notifications": [inbox.inbox_json(i) for i in items], "unread_count": unread})


class InboxReadStatusView(PortalAPIView):
    def put(self, request, item_id):
        body = self.parse(ReadStatusBody)
        item = inbox.set_read(item_id, actor=self.actor, read=body["is_read"])
        return Response({"notification": inbox.inbox_json(item), "unread_count": inbox.unread_count(self.actor.user)})


class InboxMarkAllReadView(PortalAPIView):
    def put(self, request):
        inbox.mark_all_read(actor=self.actor)
        return Response(status=204)
