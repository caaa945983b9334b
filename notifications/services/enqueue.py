"""Enqueueing: one outbox row per recipient and method, in the caller's transaction.

Rules (Coder's `enqueuer.go` and its database triggers):
- the method is the template's admin choice, else `CODER_NOTIFICATIONS_METHOD`; the inbox is
  always enqueued in addition;
- a user who disabled the template gets nothing (preference), nor does a deleted user;
- the same template + user + method + payload + targets on the same UTC day is one message
  (a unique hash; the duplicate is dropped, not an error for the event).
On commit a dispatcher is woken, so delivery does not wait for the next scheduler tick.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import timezone as dt_timezone

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.rbac import builtin_roles
from coderportal import config
from notifications.models import Method, NotificationMessage, NotificationPreference, NotificationTemplate

log = logging.getLogger(__name__)
KICK_KEY = "notifications:dispatch-kick"


def default_method() -> str:
    return config.value("CODER_NOTIFICATIONS_METHOD").lower()


def methods_for(template: NotificationTemplate) -> list[str]:
    return [template.method or default_method(), Method.INBOX]


def payload_for(template: NotificationTemplate, user, labels: dict, data: dict | None) -> dict:
    """Coder's MessagePayload (`_version` 1.1): what webhooks receive and templates render from."""
    return {
        "_version": "1.1",
        "notification_name": template.name,
        "notification_template_id": str(template.id),
        "user_id": str(user.id),
        "user_email": user.email,
        "user_name": user.name or user.username,
        "user_username": user.username,
        "actions": [],  # rendered at dispatch time, from the template and these labels
        "labels": {str(k): "" if v is None else str(v) for k, v in labels.items()},
        "data": data or {},
        "targets": [],
    }


def dedupe_hash(template_id, user_id, method: str, payload: dict, targets: list[str], day) -> str:
    text = json.dumps([str(template_id), str(user_id), method, payload, targets, day.isoformat()],
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def enqueue(template_id, user, *, labels: dict, targets: Iterable = (), data: dict | None = None,
            created_by: str = "") -> list[NotificationMessage]:
    """Queue `template_id` for `user`; returns the rows created (empty: disabled or duplicate).

    Call it inside the event's transaction: the messages exist exactly when the event does.
    """
    template = NotificationTemplate.objects.get(pk=template_id)
    if getattr(user, "deleted", False):
        return []
    preference = NotificationPreference.objects.filter(user=user, template=template).first()
    if preference.disabled if preference else not template.enabled_by_default:
        return []
    targets = [str(t) for t in targets if t]
    payload = payload_for(template, user, labels, data)
    payload["targets"] = targets
    day = timezone.now().astimezone(dt_timezone.utc).date()
    created = []
    for method in methods_for(template):
        row = NotificationMessage(template=template, user=user, method=method, payload=payload, targets=targets,
                                  created_by=created_by,
                                  dedupe_hash=dedupe_hash(template.id, user.id, method, payload, targets, day))
        try:
            with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller's transaction
                row.save(force_insert=True)
        except IntegrityError:
            log.info("notification %s for %s (%s) is a duplicate today; dropped", template.name, user, method)
            continue
        created.append(row)
    if created:
        transaction.on_commit(kick_dispatcher)
    return created


def kick_dispatcher() -> None:
    """Wake a dispatcher now; at most once a second, so a burst of events is one task, not thousands."""
    if not cache.add(KICK_KEY, 1, timeout=1):
        return
    from notifications.tasks import dispatch_notifications

    try:
        dispatch_notifications.delay()
    except Exception:  # the broker being down must not fail the event; the scheduler's tick delivers
        log.warning("could not wake the notification dispatcher", exc_info=True)


def recipients_owners_and_user_admins(exclude=()) -> list[User]:
    """Coder sends account events to owners and user admins."""
    excluded = [u.pk for u in exclude]
    return list(User.objects.filter(site_roles__name__in=[builtin_roles.OWNER, builtin_roles.USER_ADMIN],
                                    site_roles__organization=None, deleted=False)
                .exclude(pk__in=excluded).exclude(status="suspended").distinct().order_by("username"))


def recipients_template_admins(organization_id, exclude=()) -> list[User]:
    """Owners and template admins of the site, and (organization-)template admins of the organization."""
    excluded = [u.pk for u in exclude]
    site = Q(site_roles__name__in=[builtin_roles.OWNER, builtin_roles.TEMPLATE_ADMIN], site_roles__organization=None)
    org = Q(memberships__organization_id=organization_id,
            memberships__roles__name__in=[builtin_roles.ORG_ADMIN, builtin_roles.ORG_TEMPLATE_ADMIN])
    return list(User.objects.filter(site | org, deleted=False).exclude(pk__in=excluded)
                .exclude(status="suspended").distinct().order_by("username"))
