"""Routing jobs to workers by provisioner tags, with Celery queues.

Coder's rule: a job runs on a daemon holding all of the job's tags (the daemon may have
more); an untagged job runs only on untagged daemons. Each job goes to the queue named by
its exact tag set, and a daemon consumes the queue of every non-empty subset of its tags
(the plain `provisioner` queue when it has none), so Celery does the matching.
"""
from __future__ import annotations

import hashlib
import json
from itertools import combinations

BASE_QUEUE = "provisioner"
MAX_DAEMON_TAGS = 6  # 2^6 - 1 queues per daemon at most


def normalize_tags(tags: dict | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in sorted((tags or {}).items()) if str(k) not in ("scope", "owner")}


def queue_for_tags(tags: dict | None) -> str:
    """`provisioner` for untagged jobs, else `provisioner-<digest of the sorted tags>`: queue
    names must be safe for every broker (the embedded one maps them to file names)."""
    tags = normalize_tags(tags)
    if not tags:
        return BASE_QUEUE
    canonical = json.dumps(tags, sort_keys=True, separators=(",", ":"))
    return f"{BASE_QUEUE}-{hashlib.sha256(canonical.encode()).hexdigest()[:20]}"


def queues_for_daemon(tags: dict | None) -> list[str]:
    tags = normalize_tags(tags)
    if not tags:
        return [BASE_QUEUE]
    if len(tags) > MAX_DAEMON_TAGS:
        raise ValueError(f"a provisioner daemon may carry at most {MAX_DAEMON_TAGS} tags")
    items = list(tags.items())
    return [queue_for_tags(dict(subset)) for size in range(1, len(items) + 1) for subset in combinations(items, size)]


def daemon_matches(daemon_tags: dict | None, job_tags: dict | None) -> bool:
    daemon_tags, job_tags = normalize_tags(daemon_tags), normalize_tags(job_tags)
    if not job_tags:
        return not daemon_tags
    return all(daemon_tags.get(k) == v for k, v in job_tags.items())


def parse_tag_args(values: list[str]) -> dict[str, str]:
    """`["k=v", "k2=v2"]` -> dict (for command-line flags)."""
    tags = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise ValueError(f"tag {value!r} must be key=value")
        tags[key.strip()] = val.strip()
    return tags
