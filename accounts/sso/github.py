"""GitHub specifics: reading org/team memberships and the verified primary email.

The HTTP calls (`fetch_*`) are thin; the parsing (`org_logins`, `team_slugs`,
`primary_verified_email`) is separate so it can be tested against recorded API payloads.
"""
from __future__ import annotations

API_URL = "https://api.github.com"
MAX_PAGES = 10  # 1,000 orgs/teams: far beyond any real account, bounds a misbehaving API


def _get_all(session, url: str, token: str) -> list:
    items: list = []
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    params = {"per_page": 100}
    for _ in range(MAX_PAGES):
        resp = session.get(url, headers=headers, params=params)
        resp.raise_for_status()
        items.extend(resp.json())
        url = resp.links.get("next", {}).get("url")
        params = None
        if not url:
            break
    return items


def fetch_org_memberships(session, token: str, api_url: str = API_URL) -> list:
    return _get_all(session, f"{api_url}/user/memberships/orgs", token)


def fetch_teams(session, token: str, api_url: str = API_URL) -> list:
    return _get_all(session, f"{api_url}/user/teams", token)


def fetch_emails(session, token: str, api_url: str = API_URL) -> list:
    return _get_all(session, f"{api_url}/user/emails", token)


def org_logins(memberships_payload: list) -> list[str]:
    """Orgs from `GET /user/memberships/orgs`; pending invitations do not count."""
    return [m["organization"]["login"] for m in memberships_payload
            if m.get("state") == "active" and m.get("organization", {}).get("login")]


def team_slugs(teams_payload: list) -> list[tuple[str, str]]:
    """(org login, team slug) pairs from `GET /user/teams`."""
    return [(t["organization"]["login"], t["slug"]) for t in teams_payload
            if t.get("slug") and t.get("organization", {}).get("login")]


def primary_verified_email(emails_payload: list) -> str | None:
    """The primary address if GitHub verified it (Coder refuses users without one)."""
    for entry in emails_payload:
        if entry.get("primary") and entry.get("verified"):
            return entry.get("email")
    return None
