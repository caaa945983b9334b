"""SSO login without a browser: allauth's real login flow and our adapters, for given claims.

Covers what the browser test does not: refusals (email domain, suspended users, unverified
email of an existing account), username collisions, linking by verified email, group mapping,
role sync, which identity-provider configuration wins, and GitHub's allow-list.
"""
from __future__ import annotations

import json

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp

from accounts.models import APIKey, AuditLog, Group, OrganizationMember, User
from accounts.models.users import UserStatus
from coderportal.api.authentication import SESSION_TOKEN_COOKIE, resolve_token
from tests.factories import GroupFactory, UserFactory
from tests.sso import fakes


def claims(**overrides) -> dict:
    base = {"sub": "idp-user-1", "email": "alice@example.com", "email_verified": True,
            "preferred_username": "alice", "name": "Alice"}
    return {**base, **overrides}


def group_names(user) -> set[str]:
    return set(Group.objects.filter(auth_group__user=user).values_list("name", flat=True))


def test_first_login_creates_active_oidc_user_in_default_org(org, sso_env, sso_login):
    sso_env()
    response, request = sso_login(claims())
    assert response.status_code == 302 and response["Location"] == "/admin/"
    user = User.objects.get(email="alice@example.com")
    assert (user.username, user.login_type, user.status, user.name) == ("alice", "oidc", "active", "Alice")
    assert not user.has_usable_password()
    assert OrganizationMember.objects.filter(user=user, organization=org).exists()
    assert request.session["_auth_user_id"] == str(user.pk)
    key = resolve_token(response.cookies[SESSION_TOKEN_COOKIE].value)
    assert (key.user, key.login_type, key.token_name) == (user, "oidc", "")
    assert AuditLog.objects.filter(action="create", resource_type="user", resource_id=str(user.id)).exists()
    login = AuditLog.objects.get(action="login", resource_type="api_key", user=user)
    assert (login.status_code, login.resource_id, login.additional_fields["login_type"]) == (
        201, str(user.id), "oidc")  # API-key rows name the key's owner, as in Coder
    assert login.diff["id"]["new"] == key.id


def test_email_outside_allowed_domains_is_refused(org, sso_env, sso_login):
    sso_env(CODER_OIDC_EMAIL_DOMAIN="corp.io,example.org")
    response, _ = sso_login(claims())
    assert response.status_code == 403
    assert "alice@example.com" in response.content.decode() and "not in the allowed domains" in \
        response.content.decode()
    assert not User.objects.filter(email="alice@example.com").exists()
    refused = AuditLog.objects.get(action="login", resource_type="api_key")
    assert (refused.status_code, refused.additional_fields["login_type"]) == (403, "oidc")


def test_allowed_domain_is_admitted(org, sso_env, sso_login):
    sso_env(CODER_OIDC_EMAIL_DOMAIN="corp.io,Example.com")
    response, _ = sso_login(claims())
    assert response.status_code == 302


def test_suspended_user_is_refused(org, sso_env, sso_login):
    sso_env()
    sso_login(claims())
    user = User.objects.get(email="alice@example.com")
    User.objects.filter(pk=user.pk).update(status=UserStatus.SUSPENDED)
    keys_before = APIKey.objects.filter(user=user).count()
    response, request = sso_login(claims())
    assert response.status_code == 403
    assert "suspended" in response.content.decode()
    assert APIKey.objects.filter(user=user).count() == keys_before
    assert "_auth_user_id" not in request.session


def test_suspended_user_matched_by_email_is_refused(org, sso_env, sso_login):
    UserFactory(username="alice", email="alice@example.com", status=UserStatus.SUSPENDED)
    sso_env()
    response, _ = sso_login(claims())
    assert response.status_code == 403 and "suspended" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_username_collision_gets_a_unique_valid_username(org, sso_env, sso_login):
    UserFactory(username="alice-smith", email="someone-else@example.com")
    UserFactory(username="alice-smith-2", email="another@example.com")
    sso_env()
    sso_login(claims(preferred_username="Alice.Smith"))
    user = User.objects.get(email="alice@example.com")
    assert user.username == "alice-smith-3"


def test_existing_user_is_linked_by_verified_email(org, sso_env, sso_login):
    existing = UserFactory(username="alice-pw", email="Alice@Example.com")
    sso_env()
    response, request = sso_login(claims())
    assert response.status_code == 302 and request.session["_auth_user_id"] == str(existing.pk)
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert SocialAccount.objects.get(uid="idp-user-1").user == existing
    # Later logins find the user through the link, even if the IdP's email changed.
    response, request = sso_login(claims(email="alice.new@example.com"))
    assert request.session["_auth_user_id"] == str(existing.pk)


def test_unverified_email_of_existing_user_is_not_linked(org, sso_env, sso_login):
    UserFactory(username="alice-pw", email="alice@example.com")
    sso_env()
    unverified = claims()
    del unverified["email_verified"]
    response, _ = sso_login(unverified)
    assert response.status_code == 403 and "cannot be linked" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_email_is_required(org, sso_env, sso_login):
    sso_env()
    response, _ = sso_login(claims(email=""))
    assert response.status_code == 403 and "email" in response.content.decode()


def test_groups_mapped_and_unknown_groups_ignored_without_auto_create(org, sso_env, sso_login):
    developers = GroupFactory(organization=org, name="developers")
    sso_env(CODER_OIDC_GROUP_FIELD="groups", CODER_OIDC_GROUP_MAPPING=json.dumps({"idp-devs": "developers"}),
            CODER_OIDC_GROUP_AUTO_CREATE="false")
    sso_login(claims(groups=["idp-devs", "not-here"]))
    user = User.objects.get(email="alice@example.com")
    assert group_names(user) == {"developers"}
    assert developers.auth_group.user_set.filter(pk=user.pk).exists()
    assert not Group.objects.filter(name="not-here").exists()


def test_groups_resync_on_every_login_and_missing_claim_changes_nothing(org, sso_env, sso_login):
    sso_env(CODER_OIDC_GROUP_FIELD="groups", CODER_OIDC_GROUP_AUTO_CREATE="true")
    sso_login(claims(groups=["a", "b"]))
    user = User.objects.get(email="alice@example.com")
    assert group_names(user) == {"a", "b"}
    sso_login(claims(groups=["b", "c"]))
    assert group_names(user) == {"b", "c"}
    sso_login(claims())  # claim absent: not "no groups"
    assert group_names(user) == {"b", "c"}
    sso_login(claims(groups=[]))
    assert group_names(user) == set()


def test_no_group_sync_when_group_field_unset(org, sso_env, sso_login):
    sso_env()
    sso_login(claims(groups=["a"]))
    assert group_names(User.objects.get(email="alice@example.com")) == set()
    assert not Group.objects.filter(name="a").exists()


def test_role_sync_from_claim(org, sso_env, sso_login):
    sso_env(CODER_OIDC_USER_ROLE_FIELD="roles",
            CODER_OIDC_USER_ROLE_MAPPING=json.dumps({"idp-admins": ["owner", "auditor"]}))
    sso_login(claims(roles=["idp-admins", "template-admin", "no-such-role"]))
    user = User.objects.get(email="alice@example.com")
    assert set(user.site_roles.values_list("name", flat=True)) == {"owner", "auditor", "template-admin"}
    sso_login(claims())  # claim absent: roles unchanged (no silent demotion)
    assert set(user.site_roles.values_list("name", flat=True)) == {"owner", "auditor", "template-admin"}
    sso_login(claims(roles=["auditor"]))
    assert set(user.site_roles.values_list("name", flat=True)) == {"auditor"}
    assert AuditLog.objects.filter(action="write", resource_type="user", resource_id=str(user.id)).count() == 2


def test_environment_app_wins_over_admin_app_with_same_id(org, sso_env, rf):
    from allauth.socialaccount.adapter import get_adapter

    sso_env()
    SocialApp.objects.create(provider="openid_connect", provider_id="oidc", name="from db", client_id="db")
    SocialApp.objects.create(provider="openid_connect", provider_id="okta", name="Okta (admin)", client_id="okta",
                             settings={"server_url": "https://okta.example.com"})
    apps = get_adapter().list_apps(rf.get("/login"))
    assert sorted((a.provider_id, a.client_id, a.pk is None) for a in apps) == [("oidc", "coderportal", True),
                                                                                 ("okta", "okta", False)]


# --- GitHub (API answered from recorded payloads) -------------------------------------------

GITHUB_USER = json.loads((fakes.PAYLOADS / "user.json").read_text())


@pytest.fixture
def github_env(monkeypatch, settings):
    from tests.sso.conftest import apply_sso_env

    settings.SOCIALACCOUNT_ADAPTER = "tests.sso.fakes.GitHubPayloadAdapter"
    fakes.requested.clear()

    def configure(**env):
        apply_sso_env(monkeypatch, settings, CODER_OAUTH2_GITHUB_CLIENT_ID="gh-client",
                      CODER_OAUTH2_GITHUB_CLIENT_SECRET="gh-secret", **env)

    return configure


def test_github_member_of_allowed_team_logs_in(org, github_env, sso_login):
    github_env(CODER_OAUTH2_GITHUB_ALLOWED_ORGS="acme-corp", CODER_OAUTH2_GITHUB_ALLOWED_TEAMS="acme-corp/platform")
    response, _ = sso_login(GITHUB_USER, provider_id="github")
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(email="octocat@acme.example")
    assert (user.username, user.login_type, user.status) == ("octocat", "github", "active")
    assert OrganizationMember.objects.filter(user=user, organization=org).exists()
    assert fakes.requested == ["/user/memberships/orgs", "/user/teams", "/user/emails"]


def test_github_user_outside_allowed_orgs_is_refused(org, github_env, sso_login):
    github_env(CODER_OAUTH2_GITHUB_ALLOWED_ORGS="someone-else")
    response, _ = sso_login(GITHUB_USER, provider_id="github")
    assert response.status_code == 403 and "authorized GitHub organizations" in response.content.decode()
    assert not User.objects.filter(email="octocat@acme.example").exists()


def test_github_allow_everyone_skips_membership_calls(org, github_env, sso_login):
    github_env(CODER_OAUTH2_GITHUB_ALLOW_EVERYONE="true")
    response, _ = sso_login(GITHUB_USER, provider_id="github")
    assert response.status_code == 302
    assert fakes.requested == ["/user/emails"]


def test_name_and_avatar_follow_the_identity_provider(org, sso_env, sso_login):
    sso_env()
    sso_login(claims(picture="https://img.example.com/a.png"))
    sso_login(claims(name="Alice Liddell", picture="javascript:alert(1)"))
    user = User.objects.get(email="alice@example.com")
    assert (user.name, user.avatar_url) == ("Alice Liddell", "https://img.example.com/a.png")
    assert AuditLog.objects.filter(action="write", resource_type="user", resource_id=str(user.id)).count() == 1
