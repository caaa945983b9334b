"""Usernames for people who arrive through SSO: valid under Coder's rules and unique."""
from __future__ import annotations

import re

from accounts.models import User
from accounts.services.users import username_error

MAX_LEN = 32
_INVALID = re.compile(r"[^a-z0-9-]+")
_HYPHENS = re.compile(r"-{2,}")


def normalize(candidate: str) -> str:
    """Lower-case, replace runs of invalid characters by one hyphen, trim to 32 characters.
    Returns "" when nothing usable is left."""
    text = _INVALID.sub("-", (candidate or "").strip().lower())
    text = _HYPHENS.sub("-", text).strip("-")
    return text[:MAX_LEN].rstrip("-")


def base_username(*candidates: str | None) -> str:
    """The first candidate (preferred_username, login, email local part, ...) that normalizes
    to a valid username; "user" when none does."""
    for candidate in candidates:
        if not candidate:
            continue
        if "@" in candidate:
            candidate = candidate.split("@", 1)[0]
        name = normalize(candidate)
        if name and username_error(name) is None:
            return name
    return "user"


def _taken(name: str) -> bool:
    return User.objects.filter(username__iexact=name, deleted=False).exists()


def unique_username(base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... (trimmed so the suffix fits in 32 characters)."""
    if username_error(base) is None and not _taken(base):
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        name = base[: MAX_LEN - len(suffix)].rstrip("-") + suffix
        if username_error(name) is None and not _taken(name):
            return name
        n += 1
