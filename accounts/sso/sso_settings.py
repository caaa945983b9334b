"""allauth provider configuration built from the CODER_OIDC_* / CODER_OAUTH2_GITHUB_* options.

Imported by `coderportal/settings.py`, so it imports nothing but `coderportal.config`.
`providers()` re-reads the environment on every call: tests (and `serve` flags, which set the
same variables) rebuild `SOCIALACCOUNT_PROVIDERS` by calling it again.

Every policy knob lives in the app's `settings` dict, under the same keys an administrator
uses for a SocialApp created in the Django admin (see `accounts.sso.policy`), so an app from
the environment and an app from the database are read the same way. When both define the
same provider id ("oidc" or "github"), the environment wins — see `adapter.list_apps`.
"""
from __future__ import annotations

from coderportal import config

OIDC_PROVIDER_ID = "oidc"  # URL: /accounts/oidc/oidc/login/ ; callback .../login/callback/
GITHUB_PROVIDER_ID = "github"
GITHUB_SCOPES = ["read:user", "user:email", "read:org"]


def oidc_app() -> dict | None:
    issuer = config.get("CODER_OIDC_ISSUER_URL").strip()
    client_id = config.get("CODER_OIDC_CLIENT_ID").strip()
    if not issuer or not client_id:
        return None
    return {
        "provider_id": OIDC_PROVIDER_ID,
        "name": config.get("CODER_OIDC_SIGN_IN_TEXT") or "OpenID Connect",
        "client_id": client_id,
        "secret": config.get("CODER_OIDC_CLIENT_SECRET"),
        "settings": {
            "server_url": issuer.rstrip("/"),
            "scope": config.get_list("CODER_OIDC_SCOPES") or ["openid", "profile", "email"],
            "oauth_pkce_enabled": True,
            "icon_url": config.get("CODER_OIDC_ICON_URL"),
            "email_domains": config.get_list("CODER_OIDC_EMAIL_DOMAIN"),
            "group_field": config.get("CODER_OIDC_GROUP_FIELD").strip(),
            "group_mapping": config.value("CODER_OIDC_GROUP_MAPPING"),
            "group_auto_create": config.get_bool("CODER_OIDC_GROUP_AUTO_CREATE"),
            "user_role_field": config.get("CODER_OIDC_USER_ROLE_FIELD").strip(),
            "user_role_mapping": config.value("CODER_OIDC_USER_ROLE_MAPPING"),
            "source": "environment",
        },
    }


def github_app() -> dict | None:
    client_id = config.get("CODER_OAUTH2_GITHUB_CLIENT_ID").strip()
    if not client_id:
        return None
    return {
        "provider_id": GITHUB_PROVIDER_ID,
        "name": "GitHub",
        "client_id": client_id,
        "secret": config.get("CODER_OAUTH2_GITHUB_CLIENT_SECRET"),
        "settings": {
            "scope": GITHUB_SCOPES,
            "allowed_orgs": config.get_list("CODER_OAUTH2_GITHUB_ALLOWED_ORGS"),
            "allowed_teams": config.get_list("CODER_OAUTH2_GITHUB_ALLOWED_TEAMS"),
            "allow_everyone": config.get_bool("CODER_OAUTH2_GITHUB_ALLOW_EVERYONE"),
            "source": "environment",
        },
    }


def providers() -> dict:
    """The value of SOCIALACCOUNT_PROVIDERS: one settings-backed app per configured provider."""
    result: dict = {}
    if (app := oidc_app()) is not None:
        result["openid_connect"] = {"APPS": [app]}
    if (app := github_app()) is not None:
        result["github"] = {"APPS": [app]}
    return result
