"""A stand-in for the GitHub REST API (unreachable from tests): serves the payloads in
`github_payloads/` through the same `requests`-like session interface the adapter uses."""
from __future__ import annotations

import json
from pathlib import Path

from accounts.sso.adapter import PortalSocialAccountAdapter

PAYLOADS = Path(__file__).parent / "github_payloads"
ROUTES = {"/user/memberships/orgs": "memberships_orgs", "/user/teams": "teams", "/user/emails": "emails"}
requested: list[str] = []


class _Response:
    links: dict = {}

    def __init__(self, body):
        self._body = body

    def raise_for_status(self):
        return None

    def json(self):
        return self._body


class GitHubApiSession:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def get(self, url, headers=None, params=None):
        path = url.removeprefix("https://api.github.com")
        requested.append(path)
        return _Response(json.loads((PAYLOADS / f"{ROUTES[path]}.json").read_text()))


class GitHubPayloadAdapter(PortalSocialAccountAdapter):
    def get_requests_session(self):
        return GitHubApiSession()
