"""Overload protection of this web process: at most N bridge requests at once, and at most
M requests per minute per token (Coder's limits are per replica too)."""
from __future__ import annotations

import time
from collections import OrderedDict

from aibridge import conf

_inflight = 0
_windows: OrderedDict[str, tuple[int, int]] = OrderedDict()  # token key -> (minute, count)
_MAX_TRACKED = 100_000  # bounded memory whatever the number of tokens seen


def try_acquire() -> bool:
    global _inflight
    limit = conf.max_concurrency()
    if limit > 0 and _inflight >= limit:
        return False
    _inflight += 1
    return True


def release() -> None:
    global _inflight
    _inflight -= 1


def allow(key: str) -> bool:
    limit = conf.rate_limit()
    if limit <= 0:
        return True
    minute = int(time.time() // 60)
    window, count = _windows.pop(key, (minute, 0))
    if window != minute:
        count = 0
    if count >= limit:
        _windows[key] = (minute, count)
        return False
    _windows[key] = (minute, count + 1)
    while len(_windows) > _MAX_TRACKED:
        _windows.popitem(last=False)
    return True
