"""Celery queue names for provisioner jobs, derived from provisioner tags (Coder's rules).

Coder matches a job to a daemon when the job's tags are contained in the daemon's tags, except
that an untagged job (only the defaults `scope=organization, owner=`) runs only on untagged
daemons. Celery routes by exact queue name, so a job goes to the one queue named by its tags
and a daemon consumes the queue of every tag subset it could serve.
"""
from __future__ import annotations

from itertools import combinations

DEFAULT_TAGS = {"scope": "organization", "owner": ""}
BASE_QUEUE = "provisioner"
MAX_EXTRA_TAGS = 8  # 2**8 queues per daemon at most


def normalize(tags: dict[str, str] | None) -> dict[str, str]:
    """Tags with Coder's defaults filled in (`scope=organization`, `owner=` empty)."""
    merged = dict(DEFAULT_TAGS)
    merged.update({str(k): str(v) for k, v in (tags or {}).items()})
    if merged["scope"] == "organization":
        merged["owner"] = ""  # an owner only means something for user-scoped daemons
    return merged


def job_queue(tags: dict[str, str] | None) -> str:
    """The queue a job with these tags is sent to."""
    tags = normalize(tags)
    if tags == DEFAULT_TAGS:
        return BASE_QUEUE
    return BASE_QUEUE + ":" + ",".join(f"{k}={v}" for k, v in sorted(tags.items()))


def daemon_queues(tags: dict[str, str] | None) -> list[str]:
    """Every queue a daemon with these tags consumes."""
    tags = normalize(tags)
    if tags == DEFAULT_TAGS:
        return [BASE_QUEUE]
    fixed = {k: tags[k] for k in DEFAULT_TAGS}
    extra = sorted((k, v) for k, v in tags.items() if k not in DEFAULT_TAGS)
    if len(extra) > MAX_EXTRA_TAGS:
        raise ValueError(f"at most {MAX_EXTRA_TAGS} provisioner tags besides scope and owner")
    queues = []
    for size in range(len(extra) + 1):
        for subset in combinations(extra, size):
            candidate = {**fixed, **dict(subset)}
            if candidate == DEFAULT_TAGS:
                continue  # untagged jobs only go to untagged daemons
            queues.append(job_queue(candidate))
    return queues


def parse_tags(pairs: list[str]) -> dict[str, str]:
    """`["k=v", ...]` (flags or comma-separated env) -> dict; raises ValueError on bad input."""
    tags: dict[str, str] = {}
    for pair in pairs:
        for item in filter(None, (p.strip() for p in pair.split(","))):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"invalid tag {item!r}: expected key=value")
            tags[key.strip()] = value.strip()
    return tags
