"""The in-app inbox: listing with Coder's filters and cursor, read status, JSON shape."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import rbac
from accounts.services.audit import Actor
from accounts.services.errors import ValidationFailed
from notifications.models import InboxNotification

MAX_FILTER_VALUES = 50
MAX_TARGET_SCAN = 5000  # rows examined per page when filtering by targets (bounded work per request)


def inbox_json(item: InboxNotification) -> dict:
    return {"id": str(item.id), "user_id": str(item.user_id), "template_id": str(item.template_id),
            "targets": item.targets, "title": item.title, "content": item.content, "icon": item.icon,
            "actions": item.actions, "read_at": item.read_at.isoformat() if item.read_at else None,
            "created_at": item.created_at.isoformat()}


def _uuids(values: list[str], field: str) -> list[str]:
    import uuid

    if len(values) > MAX_FILTER_VALUES:
        raise ValidationFailed("Invalid query parameters.", {field: f"At most {MAX_FILTER_VALUES} values."})
    try:
        return [str(uuid.UUID(v)) for v in values]
    except ValueError:
        raise ValidationFailed("Invalid query parameters.", {field: "Must be a comma-separated list of UUIDs."}) \
            from None


def visible(*, actor: Actor):
    """The actor's own inbox: Coder shows only one's own, whoever asks."""
    return rbac.filter_queryset(actor.subject, "read", InboxNotification.objects.filter(user=actor.user))


def list_inbox(*, actor: Actor, targets=(), templates=(), read_status: str = "all", starting_before=None,
               limit: int = 25) -> tuple[list[InboxNotification], int]:
    """(page, unread count). Cursor: `starting_before` is the id of the last item already seen."""
    if read_status not in ("all", "read", "unread"):
        raise ValidationFailed("Invalid query parameters.", {"read_status": "Must be one of all, read, unread."})
    qs = visible(actor=actor)
    unread = qs.filter(read_at__isnull=True).count()
    if templates:
        qs = qs.filter(template_id__in=_uuids(list(templates), "templates"))
    if read_status == "read":
        qs = qs.filter(read_at__isnull=False)
    elif read_status == "unread":
        qs = qs.filter(read_at__isnull=True)
    if starting_before:
        cursor = visible(actor=actor).filter(pk=_uuids([starting_before], "starting_before")[0]).first()
        if cursor is None:
            raise ValidationFailed("Invalid query parameters.", {"starting_before": "Unknown notification."})
        qs = qs.filter(created_at__lte=cursor.created_at).exclude(created_at=cursor.created_at, id__gte=cursor.id)
    wanted = _uuids(list(targets), "targets") if targets else []
    items = []
    # Targets are a JSON list: filtered in Python over a bounded scan so every database behaves alike.
    scanned = qs.order_by("-created_at", "-id")[:MAX_TARGET_SCAN] if wanted else qs.order_by("-created_at", "-id")
    for item in scanned.iterator(chunk_size=200):
        if all(t in item.targets for t in wanted):
            items.append(item)
            if len(items) >= limit:
                break
    return items, unread


def set_read(item_id, *, actor: Actor, read: bool) -> InboxNotification:
    item = visible(actor=actor).filter(pk=item_id).first()
    if item is None:
        raise rbac.NotFound("Notification not found.")
    rbac.authorize(actor.subject, "update", item)
    item.read_at = timezone.now() if read else None
    item.save(update_fields=["read_at"])
    return item


def mark_all_read(*, actor: Actor) -> int:
    with transaction.atomic():
        return visible(actor=actor).filter(read_at__isnull=True).update(read_at=timezone.now())


def unread_count(user) -> int:
    return InboxNotification.objects.filter(user=user, read_at__isnull=True).count()
