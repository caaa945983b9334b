"""Registers the notification models with the RBAC engine: messages, preferences and inbox
rows are owned by their recipient; templates are site-wide."""
from __future__ import annotations

from accounts import rbac
from notifications.models import InboxNotification, NotificationMessage, NotificationPreference, NotificationTemplate


def register_all() -> None:
    rbac.register(NotificationTemplate, rbac.Descriptor("notification_template"))
    rbac.register(NotificationMessage, rbac.Descriptor("notification_message", owner_field="user_id"))
    rbac.register(NotificationPreference, rbac.Descriptor("notification_preference", owner_field="user_id"))
    rbac.register(InboxNotification, rbac.Descriptor("inbox_notification", owner_field="user_id"))
