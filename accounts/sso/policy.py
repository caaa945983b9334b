"""Who may log in through SSO and what the identity provider's claims grant: pure decisions.

The policy of one identity provider is read from its allauth app `settings` dict (built from
CODER_* variables by `sso_settings`, or typed into the SocialApp admin form):

    email_domains      ["example.com", ...]      OIDC: refuse other email domains
    group_field        "groups"                  OIDC: claim with group names; enables group sync
    group_mapping      {"idp-name": "portal-name"}
    group_auto_create  true                      create portal groups named by the claim
    user_role_field    "roles"                   OIDC: claim with role names; enables role sync
    user_role_mapping  {"idp-role": ["owner"]}
    allowed_orgs       ["acme"]                  GitHub: org allow-list
    allowed_teams      ["acme/platform"]         GitHub: org/team allow-list
    allow_everyone     false                     GitHub: any GitHub user may log in
    icon_url           "https://..."             login button icon

Nothing here touches the database or the network, so every rule is unit-testable.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field


class LoginRefused(Exception):
    """The identity provider vouched for the person, but the portal's policy refuses them."""

    def __init__(self, message: str, status_code: int = 403):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def _as_dict(value) -> dict:
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    return dict(value or {})


def _as_bool(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


@dataclass(frozen=True)
class Policy:
    email_domains: list[str] = field(default_factory=list)
    group_field: str = ""
    group_mapping: dict = field(default_factory=dict)
    group_auto_create: bool = False
    user_role_field: str = ""
    user_role_mapping: dict = field(default_factory=dict)
    allowed_orgs: list[str] = field(default_factory=list)
    allowed_teams: list[str] = field(default_factory=list)
    allow_everyone: bool = False

    @classmethod
    def from_app_settings(cls, settings: dict | None) -> Policy:
        s = settings or {}
        return cls(
            email_domains=_as_list(s.get("email_domains")),
            group_field=str(s.get("group_field") or "").strip(),
            group_mapping=_as_dict(s.get("group_mapping")),
            group_auto_create=_as_bool(s.get("group_auto_create"), False),
            user_role_field=str(s.get("user_role_field") or "").strip(),
            user_role_mapping=_as_dict(s.get("user_role_mapping")),
            allowed_orgs=_as_list(s.get("allowed_orgs")),
            allowed_teams=_as_list(s.get("allowed_teams")),
            allow_everyone=_as_bool(s.get("allow_everyone"), False),
        )


def check_email_domain(email: str, domains: list[str]) -> None:
    """Coder's CODER_OIDC_EMAIL_DOMAIN: exact, case-insensitive match on the part after '@'."""
    if not domains:
        return
    user_domain = email.rsplit("@", 1)[-1].lower() if "@" in email else ""
    allowed = [d.strip().lstrip("@").lower() for d in domains]
    if user_domain not in allowed:
        raise LoginRefused(f"Your email {email!r} is not in the allowed domains ({', '.join(allowed)}).")


def check_email_verified(claims: dict, email: str) -> None:
    """Refuse an address the identity provider explicitly says it has not verified (Coder)."""
    verified = claims.get("email_verified")
    if isinstance(verified, str):
        verified = verified.strip().lower() == "true"
    if verified is False:
        raise LoginRefused(f"Verify the {email!r} email address on your identity provider to log in.")


def claim_values(claims: dict, field_name: str) -> list[str] | None:
    """A claim holding names: a JSON array or a single string. None when the claim is absent,
    so that a provider that omits the claim does not strip everyone's groups or roles."""
    if not field_name or field_name not in claims:
        return None
    value = claims[field_name]
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


def map_groups(idp_groups: list[str], mapping: dict) -> list[str]:
    """IdP group names to portal group names; unmapped names pass through unchanged."""
    result: list[str] = []
    for name in idp_groups:
        mapped = mapping.get(name, name)
        if mapped and mapped not in result:
            result.append(mapped)
    return result


def map_roles(idp_roles: list[str], mapping: dict) -> list[str]:
    """IdP role names to portal site-role names; a mapping value may be one name or a list.
    Unmapped names pass through, so an IdP can send portal role names directly (Coder)."""
    result: list[str] = []
    for name in idp_roles:
        mapped = mapping.get(name, [name])
        for role in [mapped] if isinstance(mapped, str) else list(mapped):
            if role and role not in result:
                result.append(role)
    return result


def check_github_membership(policy: Policy, org_logins: list[str], team_slugs: list[tuple[str, str]]) -> None:
    """Coder's GitHub allow-list: with allow_everyone anyone may log in; otherwise the user must
    belong to one of the allowed orgs (when set) AND to one of the allowed `org/team` slugs
    (when set). Neither configured and not allow_everyone: nobody (case-insensitive names)."""
    if policy.allow_everyone:
        return
    if not policy.allowed_orgs and not policy.allowed_teams:
        raise LoginRefused("GitHub login is not open to everyone and no organizations or teams are allowed.")
    orgs = {o.lower() for o in org_logins}
    if policy.allowed_orgs and not any(o.lower() in orgs for o in policy.allowed_orgs):
        raise LoginRefused(f"You aren't a member of the authorized GitHub organizations "
                           f"({', '.join(policy.allowed_orgs)}).")
    teams = {f"{org.lower()}/{team.lower()}" for org, team in team_slugs}
    if policy.allowed_teams and not any(t.lower() in teams for t in policy.allowed_teams):
        raise LoginRefused(f"You aren't a member of an authorized GitHub team "
                           f"({', '.join(policy.allowed_teams)}).")
