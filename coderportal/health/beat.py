"""When the scheduler (celery beat) last ran: a scheduled task records the time, the health
report reads it. Kept in the shared cache (Redis) when there is one, since the scheduler may run
on another replica; on the embedded default every process shares the data directory instead."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

CACHE_KEY = "coderportal:health:beat-last-run"
INTERVAL_SECONDS = 30.0


def _file() -> Path:
    return Path(settings.DATA_DIR) / "beat-last-run"


def record(now: datetime | None = None) -> None:
    stamp = (now or datetime.now(UTC)).isoformat()
    if settings.REDIS_URL:
        cache.set(CACHE_KEY, stamp, timeout=None)
        return
    path = _file()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(stamp)
    tmp.replace(path)  # readers never see half a timestamp


def last_run() -> datetime | None:
    if settings.REDIS_URL:
        stamp = cache.get(CACHE_KEY)
    else:
        try:
            stamp = _file().read_text()
        except OSError:
            stamp = None
    try:
        return datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None
