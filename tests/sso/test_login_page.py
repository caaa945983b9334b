"""The /login page and the admin login: SSO buttons from configuration, password form, logout."""
from __future__ import annotations

import json

import pytest
from allauth.socialaccount.models import SocialApp
from django.test import Client

from accounts.models import APIKey, AuditLog
from coderportal.api.authentication import SESSION_TOKEN_COOKIE, resolve_token
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def client():
    return Client()


def test_login_page_offers_one_button_per_configured_provider(db, client, sso_env):
    sso_env(CODER_OIDC_SIGN_IN_TEXT="Sign in with Okta", CODER_OIDC_ICON_URL="https://cdn.example.com/okta.svg",
            CODER_OAUTH2_GITHUB_CLIENT_ID="gh-client")
    page = client.get("/login").content.decode()
    assert page.count('class="sso-button"') == 2
    assert "Sign in with Okta" in page and 'src="https://cdn.example.com/okta.svg"' in page
    assert 'href="/accounts/oidc/oidc/login/?process=login&amp;next=%2Fadmin%2F"' in page
    assert 'href="/accounts/github/login/?process=login&amp;next=%2Fadmin%2F"' in page
    assert 'name="password"' in page


def test_admin_managed_provider_gets_a_button_too(db, client, sso_env):
    sso_env()
    SocialApp.objects.create(provider="openid_connect", provider_id="okta", name="Corporate Okta", client_id="x",
                             settings={"server_url": "https://okta.example.com", "icon_url": ""})
    page = client.get("/login").content.decode()
    assert "Corporate Okta" in page and "/accounts/oidc/okta/login/" in page


def test_no_buttons_without_providers(db, client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    page = client.get("/login").content.decode()
    assert 'class="sso-button"' not in page and 'name="password"' in page


def test_admin_login_page_has_the_sso_buttons(db, client, sso_env):
    sso_env(CODER_OIDC_SIGN_IN_TEXT="Sign in with Okta")
    page = client.get("/admin/login/?next=/admin/").content.decode()
    assert 'id="login-form"' in page
    assert "Sign in with Okta" in page and "/accounts/oidc/oidc/login/?process=login&amp;next=%2Fadmin%2F" in page


def test_password_form_is_hidden_when_password_auth_is_disabled(db, client, monkeypatch):
    monkeypatch.setenv("CODER_DISABLE_PASSWORD_AUTH", "true")
    assert 'name="password"' not in client.get("/login").content.decode()


def test_password_login_opens_admin_session_and_api_cookie(db, client):
    user = UserFactory(username="pat", email="pat@example.com")
    response = client.post("/login", {"username": "pat", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    key = resolve_token(response.cookies[SESSION_TOKEN_COOKIE].value)
    assert (key.user, key.login_type) == (user, "password")
    assert client.get("/admin/").status_code == 200


def test_open_redirects_are_refused(db, client):
    UserFactory(username="pat", email="pat@example.com")
    response = client.post("/login", {"username": "pat", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_bad_password_is_refused_and_audited(db, client):
    UserFactory(username="pat", email="pat@example.com")
    response = client.post("/login", {"username": "pat", "password": "wrong-password"})
    assert response.status_code == 401
    assert "Incorrect" in response.content.decode()
    assert SESSION_TOKEN_COOKIE not in response.cookies
    assert AuditLog.objects.filter(action="login", status_code=401).exists()


def test_logout_deletes_the_session_key_and_clears_the_cookie(db, client):
    user = UserFactory(username="pat", email="pat@example.com")
    client.post("/login", {"username": "pat", "password": PASSWORD})
    assert APIKey.objects.filter(user=user).count() == 1
    page = client.get("/login").content.decode()
    assert 'id="signed-in-user">pat<' in page
    response = client.post("/logout")
    assert response.status_code == 302 and response["Location"] == "/login"
    assert response.cookies[SESSION_TOKEN_COOKIE].value == ""
    assert not APIKey.objects.filter(user=user).exists()
    assert client.get("/admin/").status_code == 302
    assert AuditLog.objects.filter(action="logout", resource_type="api_key", user=user).exists()


def test_allauth_password_login_is_not_a_side_door(db, client, monkeypatch):
    """With password auth disabled, allauth's own login form must not log anyone in either."""
    UserFactory(username="pat", email="pat@example.com")
    monkeypatch.setenv("CODER_DISABLE_PASSWORD_AUTH", "true")
    response = client.post("/accounts/login/", {"login": "pat", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert SESSION_TOKEN_COOKIE not in response.cookies


def test_non_sso_allauth_logins_are_sent_to_the_login_page(db, rf):
    from django.contrib.sessions.middleware import SessionMiddleware

    from accounts.sso.adapter import PortalAccountAdapter

    user = UserFactory(username="pat", email="pat@example.com")
    request = rf.post("/accounts/login/")
    SessionMiddleware(lambda r: None).process_request(request)
    response = PortalAccountAdapter(request).pre_login(request, user, email_verification="none", signal_kwargs=None,
                                                       email=None, signup=False, redirect_url=None)
    assert response.status_code == 302 and response["Location"] == "/login"


def test_administrators_keep_password_login_when_it_is_disabled(db, client, monkeypatch):
    monkeypatch.setenv("CODER_DISABLE_PASSWORD_AUTH", "true")
    UserFactory(username="boss", email="boss@example.com", roles=["owner"])
    UserFactory(username="pat", email="pat@example.com")
    assert 'name="password"' in client.get("/login?password=1").content.decode()
    refused = client.post("/login", {"username": "pat", "password": PASSWORD})
    assert refused.status_code == 403 and "disabled" in refused.content.decode()
    allowed = client.post("/login", {"username": "boss", "password": PASSWORD})
    assert allowed.status_code == 302 and SESSION_TOKEN_COOKIE in allowed.cookies


def test_identity_provider_error_shows_the_login_page(db, client, sso_env):
    sso_env()
    response = client.get("/accounts/oidc/oidc/login/callback/?error=access_denied&state=unknown")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Single sign-on failed" in page and 'class="sso-button"' in page


def test_owner_adds_an_identity_provider_in_the_admin_and_it_is_offered(db, client, owner, member, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    client.force_login(member)
    assert client.get("/admin/socialaccount/socialapp/add/").status_code in (403, 404)
    client.force_login(owner)
    response = client.post("/admin/socialaccount/socialapp/add/", {
        "provider": "openid_connect", "provider_id": "corp", "name": "Corporate SSO", "client_id": "portal",
        "secret": "s3cret", "key": "",
        "settings": json.dumps({"server_url": "https://sso.example.com", "email_domains": ["example.com"],
                                "group_field": "groups"}),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    app = SocialApp.objects.get(provider_id="corp")
    assert app.secret == "s3cret"
    assert "s3cret" not in client.get(f"/admin/socialaccount/socialapp/{app.pk}/change/").content.decode()
    client.logout()
    page = client.get("/login").content.decode()
    assert "Corporate SSO" in page and "/accounts/oidc/corp/login/" in page
