"""Pure SSO rules: email domains, claim parsing and mapping, GitHub allow-lists, usernames,
and the provider configuration built from CODER_* variables.

GitHub cannot be reached from the test environment: the allow-list is checked against API
payloads in `github_payloads/`, shaped as GitHub's REST API documents them.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from accounts.sso import github, sso_settings
from accounts.sso.policy import (
    LoginRefused,
    Policy,
    check_email_domain,
    check_email_verified,
    check_github_membership,
    claim_values,
    map_groups,
    map_roles,
)
from accounts.sso.usernames import base_username, normalize

PAYLOADS = Path(__file__).parent / "github_payloads"


def payload(name):
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@pytest.mark.parametrize("email, domains, allowed", [
    ("a@example.com", [], True),
    ("a@example.com", ["example.com"], True),
    ("a@EXAMPLE.com", ["example.com", "corp.io"], True),
    ("a@corp.io", ["@corp.io"], True),                 # a leading "@" is tolerated, as in Coder
    ("a@evil.com", ["example.com"], False),
    ("a@sub.example.com", ["example.com"], False),     # exact domain, not a suffix
    ("a@example.com.evil.io", ["example.com"], False),
    ("no-at-sign", ["example.com"], False),
])
def test_email_domain_allow_list(email, domains, allowed):
    if allowed:
        check_email_domain(email, domains)
    else:
        with pytest.raises(LoginRefused, match="not in the allowed domains"):
            check_email_domain(email, domains)


@pytest.mark.parametrize("claims, refused", [
    ({"email_verified": True}, False), ({}, False), ({"email_verified": "true"}, False),
    ({"email_verified": False}, True), ({"email_verified": "false"}, True),
])
def test_explicitly_unverified_email_is_refused(claims, refused):
    if refused:
        with pytest.raises(LoginRefused, match="Verify"):
            check_email_verified(claims, "a@example.com")
    else:
        check_email_verified(claims, "a@example.com")


@pytest.mark.parametrize("claims, values", [
    ({"groups": ["a", "b"]}, ["a", "b"]),
    ({"groups": "solo"}, ["solo"]),
    ({"groups": []}, []),
    ({"groups": None}, []),
    ({}, None),                                        # absent: sync is skipped, nothing is stripped
])
def test_claim_values(claims, values):
    assert claim_values(claims, "groups") == values


def test_group_mapping_renames_and_passes_through_unmapped_names():
    assert map_groups(["idp-devs", "ops", "idp-devs2"], {"idp-devs": "developers", "idp-devs2": "developers"}) \
        == ["developers", "ops"]


def test_role_mapping_accepts_lists_and_single_names():
    mapping = {"admins": ["owner", "user-admin"], "auditors": "auditor"}
    assert map_roles(["admins", "auditors", "template-admin"], mapping) == \
        ["owner", "user-admin", "auditor", "template-admin"]


def test_policy_reads_admin_typed_settings():
    policy = Policy.from_app_settings({"email_domains": "a.com, b.com", "group_mapping": '{"x": "y"}',
                                       "group_auto_create": "false", "allow_everyone": "true"})
    assert policy.email_domains == ["a.com", "b.com"]
    assert policy.group_mapping == {"x": "y"}
    assert (policy.group_auto_create, policy.allow_everyone) == (False, True)


# --- GitHub ------------------------------------------------------------------------------

def test_github_payload_parsing():
    assert github.org_logins(payload("memberships_orgs")) == ["acme-corp"]  # pending invitation ignored
    assert github.team_slugs(payload("teams")) == [("acme-corp", "platform"), ("other-org", "design")]
    assert github.primary_verified_email(payload("emails")) == "octocat@acme.example"
    assert github.primary_verified_email([{"email": "x@y.z", "primary": True, "verified": False}]) is None


@pytest.mark.parametrize("app_settings, allowed", [
    ({"allow_everyone": True}, True),
    ({}, False),                                                     # nothing allowed: nobody
    ({"allowed_orgs": ["acme-corp"]}, True),
    ({"allowed_orgs": ["ACME-CORP"]}, True),
    ({"allowed_orgs": ["invited-org"]}, False),                      # pending membership
    ({"allowed_orgs": ["other"]}, False),
    ({"allowed_orgs": ["acme-corp"], "allowed_teams": ["acme-corp/platform"]}, True),
    ({"allowed_orgs": ["acme-corp"], "allowed_teams": ["acme-corp/security"]}, False),
    ({"allowed_orgs": ["acme-corp"], "allowed_teams": ["other-org/design"]}, True),
    ({"allowed_orgs": ["nope"], "allowed_teams": ["acme-corp/platform"]}, False),  # org check first
    ({"allowed_teams": ["other-org/design"]}, True),
])
def test_github_allow_list_against_api_payloads(app_settings, allowed):
    policy = Policy.from_app_settings(app_settings)
    orgs = github.org_logins(payload("memberships_orgs"))
    teams = github.team_slugs(payload("teams"))
    if allowed:
        check_github_membership(policy, orgs, teams)
    else:
        with pytest.raises(LoginRefused):
            check_github_membership(policy, orgs, teams)


# --- usernames ---------------------------------------------------------------------------

@pytest.mark.parametrize("candidates, expected", [
    (("alice.smith", "x@y.z"), "alice-smith"),
    (("Bob_O'Neil", None), "bob-o-neil"),
    ((None, "carol+tag@example.com"), "carol-tag"),
    (("---", "dave@example.com"), "dave"),
    (("me", "me@example.com"), "user"),                              # reserved everywhere
    (("a" * 40, None), "a" * 32),
    (("Ünïcode", None), "n-code"),
    ((None, None), "user"),
])
def test_base_username_is_valid(candidates, expected):
    assert base_username(*candidates) == expected


def test_normalize_never_leaves_edge_hyphens():
    assert normalize("-" + "b" * 31 + "-x") == "b" * 31


# --- configuration -----------------------------------------------------------------------

def test_providers_from_environment(monkeypatch):
    monkeypatch.setenv("CODER_OIDC_ISSUER_URL", "https://idp.example.com/")
    monkeypatch.setenv("CODER_OIDC_CLIENT_ID", "portal")
    monkeypatch.setenv("CODER_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("CODER_OIDC_EMAIL_DOMAIN", "example.com,corp.io")
    monkeypatch.setenv("CODER_OIDC_SCOPES", "openid,email,groups")
    monkeypatch.setenv("CODER_OIDC_GROUP_MAPPING", '{"a": "b"}')
    monkeypatch.setenv("CODER_OIDC_SIGN_IN_TEXT", "Okta")
    monkeypatch.setenv("CODER_OAUTH2_GITHUB_CLIENT_ID", "gh")
    monkeypatch.setenv("CODER_OAUTH2_GITHUB_ALLOWED_ORGS", "acme-corp")
    apps = sso_settings.providers()
    oidc = apps["openid_connect"]["APPS"][0]
    assert (oidc["provider_id"], oidc["name"], oidc["client_id"], oidc["secret"]) == ("oidc", "Okta", "portal",
                                                                                      "s3cret")
    assert oidc["settings"]["server_url"] == "https://idp.example.com"
    assert oidc["settings"]["scope"] == ["openid", "email", "groups"]
    assert oidc["settings"]["email_domains"] == ["example.com", "corp.io"]
    assert oidc["settings"]["group_mapping"] == {"a": "b"}
    assert apps["github"]["APPS"][0]["settings"]["allowed_orgs"] == ["acme-corp"]


def test_no_providers_without_configuration(monkeypatch):
    for name in ("CODER_OIDC_ISSUER_URL", "CODER_OIDC_CLIENT_ID", "CODER_OAUTH2_GITHUB_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert sso_settings.providers() == {}


def test_malformed_mapping_is_a_clear_configuration_error(monkeypatch):
    monkeypatch.setenv("CODER_OIDC_ISSUER_URL", "https://idp.example.com")
    monkeypatch.setenv("CODER_OIDC_CLIENT_ID", "portal")
    monkeypatch.setenv("CODER_OIDC_GROUP_MAPPING", "{not json")
    from coderportal.config import ConfigError

    with pytest.raises(ConfigError, match="CODER_OIDC_GROUP_MAPPING='{not json' is not valid: expected a JSON object"):
        sso_settings.providers()
