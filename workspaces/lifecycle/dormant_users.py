"""Account dormancy (Coder's dormantusersjob): active users not seen for
`CODER_USER_DORMANCY_PERIOD` (90 days) become `dormant`. Dormant users' workspaces get no
autostart (the executor needs an active owner); running ones are not stopped. A dormant user
becomes active again at their next login (accounts)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.models.users import UserStatus
from accounts.services import audit
from accounts.services.audit import Actor
from coderportal import config

log = logging.getLogger(__name__)


def dormancy_period() -> timedelta:
    return config.get_duration("CODER_USER_DORMANCY_PERIOD")


def mark_dormant_users(now: datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - dormancy_period()
    stale = Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, created_at__lt=cutoff)
    marked = 0
    with transaction.atomic():
        for user in User.objects.select_for_update().filter(stale, status=UserStatus.ACTIVE, deleted=False):
            User.objects.filter(pk=user.pk).update(status=UserStatus.DORMANT, updated_at=now)
            audit.record(Actor.system(), "write", "user", resource_id=user.pk, target=user.username,
                         changes=audit.diff({"status": "active"}, {"status": "dormant"}),
                         additional={"reason": "not seen for the dormancy period"})
            marked += 1
    if marked:
        log.info("marked %d users dormant", marked)
    return marked
