"""Token totals per user and per model over the interceptions a subject may read."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from django.db.models import Count, OuterRef, Subquery, Sum

from accounts import rbac
from accounts.models import User
from aibridge.models import Interception, TokenUsage


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def totals(subject, start: date | None, end: date | None) -> dict[str, list[dict]]:
    """{"user": [...], "model": [...]}: interceptions, input and output tokens, largest first.
    `end` is inclusive (whole days, UTC)."""
    visible = rbac.filter_queryset(subject, rbac.Action.READ, Interception.objects.all())
    if start:
        visible = visible.filter(started_at__gte=datetime.combine(start, time.min, timezone.utc))
    if end:
        visible = visible.filter(started_at__lt=datetime.combine(end + timedelta(days=1), time.min, timezone.utc))
    parent = Interception.objects.filter(id=OuterRef("interception_id"))
    rows = TokenUsage.objects.filter(interception_id__in=visible.values("id"))
    out = {}
    for group, column in (("user", "initiator_id"), ("model", "model")):
        grouped = (rows.annotate(key=Subquery(parent.values(column)[:1])).values("key")
                   .annotate(interceptions=Count("interception_id", distinct=True), input_tokens=Sum("input_tokens"),
                             output_tokens=Sum("output_tokens"))
                   .order_by("-input_tokens", "key"))
        out[group] = [dict(row) for row in grouped]
    names = dict(User.objects.filter(id__in=[r["key"] for r in out["user"]]).values_list("id", "username"))
    for row in out["user"]:
        row["key"] = names.get(row["key"], str(row["key"]))
    return out
