"""Filters of the interceptions list and admin: Coder's `q=` terms and pagination rules."""
from __future__ import annotations

import shlex
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from accounts.models import User
from accounts.services.errors import ValidationFailed

KEYS = ("initiator", "provider", "model", "started_after", "started_before")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


@dataclass
class Filters:
    initiator_id: uuid.UUID | None = None
    provider: str = ""
    model: str = ""
    started_after: datetime | None = None
    started_before: datetime | None = None

    def q(self) -> Q:
        condition = Q()
        if self.initiator_id is not None:
            condition &= Q(initiator_id=self.initiator_id)
        if self.provider:
            condition &= Q(provider=self.provider)
        if self.model:
            condition &= Q(model=self.model)
        if self.started_after is not None:
            condition &= Q(started_at__gte=self.started_after)
        if self.started_before is not None:
            condition &= Q(started_at__lte=self.started_before)
        return condition


def _timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("missing time zone")
    return moment


def resolve_user(text: str, me) -> uuid.UUID | None:
    if text == "me":
        return me.pk
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    user = User.objects.filter(username__iexact=text, deleted=False).only("id").first()
    return user.pk if user else None


def parse(q: str, me) -> Filters:
    """`initiator:me provider:anthropic started_after:"2025-01-01T00:00:00Z"` -> Filters (400 on errors)."""
    errors: dict[str, str] = {}
    filters = Filters()
    try:
        terms = shlex.split(q or "")
    except ValueError as exc:
        raise ValidationFailed("Invalid workspace search query.", {"q": f"Invalid query: {exc}"})
    for term in terms:
        key, sep, value = term.partition(":")
        if not sep:
            key, value = "initiator", term
        key = key.strip().lower()
        if not key or not value or ":" in value and key not in ("started_after", "started_before"):
            errors[key or "q"] = f"Query element {term!r} must be key:value (quote values holding \":\")."
        elif key not in KEYS:
            errors[key] = f"{key!r} is not a valid query param"
        elif key == "initiator":
            filters.initiator_id = resolve_user(value, me)
            if filters.initiator_id is None:
                errors[key] = f"user {value!r} either does not exist, or you are unauthorized to view them"
        elif key in ("provider", "model"):
            setattr(filters, key, value)
        else:
            try:
                setattr(filters, key, _timestamp(value))
            except ValueError:
                errors[key] = f"Query param {key!r} must be a valid RFC3339 timestamp"
    if (filters.started_after and filters.started_before and not errors
            and filters.started_before <= filters.started_after):
        errors["started_before"] = '"started_before" must be after "started_after" if set'
    if errors:
        raise ValidationFailed("Invalid workspace search query.", errors)
    return filters


def page(params) -> tuple[int, int, str]:
    """(limit, offset, after_id) with Coder's errors."""
    try:
        limit = int(params.get("limit") or 0)
        offset = int(params.get("offset") or 0)
    except ValueError:
        raise ValidationFailed("Query parameters have invalid values.",
                               {"limit": "Must be an integer.", "offset": "Must be an integer."})
    if limit == 0:
        limit = DEFAULT_LIMIT
    if not 0 < limit <= MAX_LIMIT:
        raise ValidationFailed("Invalid pagination limit value.", detail="Pagination limit must be in range (0, 1000]")
    if offset < 0 or offset > 2**31 - 1:
        raise ValidationFailed("Query parameters have invalid values.", {"offset": "Must be a non-negative integer."})
    after_id = (params.get("after_id") or "").strip()
    if after_id and offset:
        raise ValidationFailed("Query parameters have invalid values.",
                               detail="Cannot use both after_id and offset pagination in the same request.")
    if after_id:
        try:
            uuid.UUID(after_id)
        except ValueError:
            raise ValidationFailed("Query parameters have invalid values.", {"after_id": "Must be a valid UUID."})
    return limit, offset, after_id
