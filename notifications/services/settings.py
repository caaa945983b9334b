"""Deployment-level notification settings: the pause switch, the method per template, the
dispatch methods, per-user preferences and the test notification. Authorize -> validate ->
mutate -> audit, like every service."""
from __future__ import annotations

import uuid

from django.db import transaction

from accounts import rbac
from accounts.services import audit
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from notifications import template_ids as ids
from notifications.models import (
    MessageStatus,
    Method,
    NotificationMessage,
    NotificationPreference,
    NotificationSettings,
    NotificationTemplate,
)
from notifications.services.enqueue import default_method, enqueue, kick_dispatcher

DEPLOYMENT = rbac.RbacObject(type="deployment_config")
SETTABLE_METHODS = ("", Method.SMTP, Method.WEBHOOK)


def get_settings(*, actor: Actor) -> NotificationSettings:
    rbac.authorize(actor.subject, "read", DEPLOYMENT)
    return NotificationSettings.current()


def set_paused(paused: bool, *, actor: Actor) -> tuple[NotificationSettings, bool]:
    """(settings, changed)."""
    rbac.authorize(actor.subject, "update", DEPLOYMENT)
    with transaction.atomic():
        current = NotificationSettings.objects.select_for_update().get_or_create(pk=1)[0]
        if current.notifier_paused == paused:
            return current, False
        current.notifier_paused = paused
        current.save(update_fields=["notifier_paused"])
        audit.record(actor, "write", "notifications_settings", resource_id=None, target="notifications",
                     changes=audit.diff({"notifier_paused": not paused}, {"notifier_paused": paused}))
    return current, True


def system_templates(*, actor: Actor):
    return rbac.filter_queryset(actor.subject, "read", NotificationTemplate.objects.filter(kind="system"))


def dispatch_methods() -> dict:
    return {"available": [Method.SMTP.value, Method.WEBHOOK.value], "default": default_method()}


def set_template_method(template_id, method: str, *, actor: Actor) -> tuple[NotificationTemplate, bool]:
    template = system_templates(actor=actor).filter(pk=template_id).first()
    if template is None:
        raise rbac.NotFound("Notification template not found.")
    rbac.authorize(actor.subject, "update", template)
    if method not in SETTABLE_METHODS:
        raise ValidationFailed("Invalid request to update notification template method.",
                               {"method": f"{method!r} is not a valid method; use 'smtp', 'webhook' or ''."})
    if template.method == method:
        return template, False
    with transaction.atomic():
        old = template.method
        template.method = method
        template.save(update_fields=["method"])
        audit.record(actor, "write", "notification_template", resource_id=template.id, target=template.name,
                     changes=audit.diff({"method": old}, {"method": method}))
    return template, True


def set_template_webhook_format(template_id, fmt: str, *, actor: Actor) -> NotificationTemplate:
    """Beyond Coder: a template may send Slack or Teams bodies while others send Coder's."""
    template = system_templates(actor=actor).filter(pk=template_id).first()
    if template is None:
        raise rbac.NotFound("Notification template not found.")
    rbac.authorize(actor.subject, "update", template)
    if fmt not in ("", "coder", "slack", "teams"):
        raise ValidationFailed("Invalid webhook format.", {"webhook_format": "Use '', coder, slack or teams."})
    if template.webhook_format != fmt:
        with transaction.atomic():
            old = template.webhook_format
            template.webhook_format = fmt
            template.save(update_fields=["webhook_format"])
            audit.record(actor, "write", "notification_template", resource_id=template.id, target=template.name,
                         changes=audit.diff({"webhook_format": old}, {"webhook_format": fmt}))
    return template


def resend(messages, *, actor: Actor) -> int:
    """Queue messages again from a clean slate (the admin's resend action); returns how many."""
    count = 0
    with transaction.atomic():
        for message in messages:
            rbac.authorize(actor.subject, "update", message)
            NotificationMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.PENDING, attempt_count=0, next_retry_after=None, lease_token=None,
                leased_until=None, last_error="")
            count += 1
    if count:
        transaction.on_commit(kick_dispatcher)
    return count


def preferences(user, *, actor: Actor):
    rbac.authorize(actor.subject, "read", rbac.RbacObject(type="notification_preference", owner_id=user.id))
    return NotificationPreference.objects.filter(user=user).order_by("template_id")


def set_preferences(user, disabled_map: dict, *, actor: Actor):
    rbac.authorize(actor.subject, "update", rbac.RbacObject(type="notification_preference", owner_id=user.id))
    try:
        wanted = {uuid.UUID(str(k)): bool(v) for k, v in disabled_map.items()}
    except ValueError:
        raise ValidationFailed("Invalid request.", {"template_disabled_map": "Keys must be template ids."}) from None
    known = set(NotificationTemplate.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    unknown = sorted(str(k) for k in wanted if k not in known)
    if unknown:
        raise ValidationFailed("Invalid request.", {"template_disabled_map": f"Unknown template ids: {unknown[:5]}"})
    with transaction.atomic():
        for template_id, disabled in wanted.items():
            NotificationPreference.objects.update_or_create(user=user, template_id=template_id,
                                                            defaults={"disabled": disabled})
    return preferences(user, actor=actor)


def send_test(*, actor: Actor) -> None:
    """Coder's troubleshooting notification, to the caller; only deployment admins may send it."""
    rbac.authorize(actor.subject, "update", DEPLOYMENT)
    from django.utils import timezone

    with transaction.atomic():
        # The time makes each test its own message: a test repeated today is not a duplicate.
        enqueue(ids.TEST_NOTIFICATION, actor.user, labels={}, data={"requested_at": timezone.now().isoformat()},
                created_by="test")
