"""Subdomain app hosts, Coder's format: `{app}--{agent}--{workspace}--{user}` in the place of
the `*` of the wildcard access URL (`CODER_WILDCARD_ACCESS_URL`, e.g. `*.apps.example.com`
or `*-apps.example.com`). Names never contain `--`, so the parts split unambiguously."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

NAME = r"[a-zA-Z0-9]+(?:[-_][a-zA-Z0-9]+)*"
APP_LABEL = re.compile(rf"^(?P<app>{NAME})--(?P<agent>{NAME})--(?P<workspace>{NAME})--(?P<user>{NAME})$")


@dataclass(frozen=True)
class AppURL:
    app: str
    agent: str
    workspace: str
    user: str

    def label(self) -> str:
        return f"{self.app}--{self.agent}--{self.workspace}--{self.user}"


def _strip(wildcard: str) -> str:
    """`*.apps.example.com[:port]`, with or without a scheme, to the lower-cased host pattern."""
    wildcard = wildcard.strip().lower()
    wildcard = wildcard.split("://", 1)[-1].split("/", 1)[0]
    return wildcard.rsplit(":", 1)[0] if re.search(r":\d+$", wildcard) else wildcard


@lru_cache(maxsize=4)
def _host_regex(wildcard: str) -> re.Pattern | None:
    pattern = _strip(wildcard)
    if pattern.count("*") != 1 or not pattern.startswith("*") or "." not in pattern:
        return None
    suffix = re.escape(pattern[1:])
    return re.compile(rf"^(?P<label>[a-z0-9_-]+){suffix}$")


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host
    return host.rsplit(":", 1)[0] if ":" in host else host


def parse_host(host: str, wildcard: str) -> AppURL | None:
    """The app a `Host` header names, or None when it is not a subdomain app host."""
    if not wildcard:
        return None
    regex = _host_regex(wildcard)
    if regex is None:
        return None
    matched = regex.match(_hostname(host))
    if matched is None:
        return None
    parts = APP_LABEL.match(matched.group("label"))
    if parts is None:
        return None
    return AppURL(**parts.groupdict())


def host_for(wildcard: str, app: AppURL) -> str:
    """The host (without port) of `app` under `wildcard`."""
    return _strip(wildcard).replace("*", app.label(), 1)


def is_valid_wildcard(wildcard: str) -> bool:
    return _host_regex(wildcard) is not None
