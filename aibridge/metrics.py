"""AI Bridge counters with Coder's metric names (`coder_aibridged_*`).

The portal has no metrics exporter yet: counters live in this process behind `inc()` and
`snapshot()`, so an exporter can publish them later without touching the gateway.
"""
from __future__ import annotations

import threading
from collections import Counter

_lock = threading.Lock()
_counters: Counter = Counter()

INTERCEPTIONS = "coder_aibridged_interceptions_total"
PASSTHROUGH = "coder_aibridged_passthrough_total"
PROMPTS = "coder_aibridged_prompts_total"
TOKENS = "coder_aibridged_tokens_total"
TOOL_SELECTIONS = "coder_aibridged_non_injected_tool_selections_total"


def inc(metric: str, value: float = 1, **labels: str) -> None:
    key = (metric, tuple(sorted((k, str(v)) for k, v in labels.items())))
    with _lock:
        _counters[key] += value


def value(metric: str, **labels: str) -> float:
    """Sum of the series of `metric` whose labels include `labels`."""
    want = {(k, str(v)) for k, v in labels.items()}
    with _lock:
        return sum(v for (n, lab), v in _counters.items() if n == metric and want <= set(lab))


def snapshot() -> dict:
    with _lock:
        return dict(_counters)
