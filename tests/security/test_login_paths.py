"""One login path, with its controls, everywhere: allauth's unused pages are gone, the Host
header cannot steer URLs or redirects, and the admin's login, logout and password change
go through the same services as /login and the API."""
from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import APIKey, AuditLog
from accounts.models.users import LoginType
from accounts.services.tokens import issue
from coderportal import security
from coderportal.api.authentication import SESSION_TOKEN_COOKIE
from tests.factories import PASSWORD, UserFactory

API = "/api/v2"


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def pat(db):
    return UserFactory(username="pat", email="pat@example.com")


# --- allauth's own pages ------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/accounts/password/reset/", "/accounts/password/change/", "/accounts/password/set/",
                                 "/accounts/email/", "/accounts/signup/", "/accounts/confirm-email/",
                                 "/accounts/reauthenticate/", "/accounts/3rdparty/", "/accounts/login/code/"])
def test_allauth_pages_the_portal_does_not_use_are_not_served(db, client, url):
    assert client.get(url).status_code == 404


def test_password_reset_cannot_mail_a_link_to_a_spoofed_host(client, pat, settings):
    settings.ALLOWED_HOSTS = ["*"]  # even if the host check were off, the page is gone
    response = client.post("/accounts/password/reset/", {"email": pat.email}, HTTP_HOST="evil.example")
    assert response.status_code == 404
    assert mail.outbox == []


def test_email_management_cannot_change_the_primary_address(client, pat):
    client.force_login(pat)
    response = client.post("/accounts/email/", {"action_add": "", "email": "attacker@evil.example"})
    assert response.status_code == 404
    pat.refresh_from_db()
    assert pat.email == "pat@example.com"


# --- hosts and redirects -----------------------------------------------------------------

def test_a_request_for_another_host_is_refused(client, db):
    assert client.get("/login", HTTP_HOST="evil.example").status_code == 400
    assert client.get("/login", HTTP_HOST="localhost:3000").status_code == 200


def test_login_next_never_leaves_the_access_url_even_with_a_spoofed_host(client, pat, settings):
    settings.ALLOWED_HOSTS = ["*"]  # isolate the redirect check from the host check
    for target in ["//evil.example/phish", "http://evil.example/phish", "https://evil.example/"]:
        response = client.post(f"/login?next={target}", {"username": "pat", "password": PASSWORD, "next": target},
                               HTTP_HOST="evil.example")
        assert response.status_code == 302 and response["Location"] == "/admin/", target
    inside = client.post("/login", {"username": "pat", "password": PASSWORD, "next": "/admin/accounts/user/"})
    assert inside["Location"] == "/admin/accounts/user/"


@pytest.mark.parametrize("access_url, address, wildcard, expected", [
    ("https://coder.example.com", "0.0.0.0:3000", "", ["coder.example.com"]),
    ("https://coder.example.com:8443/", "0.0.0.0:3000", "*.apps.example.com",
     ["coder.example.com", ".apps.example.com"]),
    ("", "127.0.0.1:3000", "", ["localhost", "127.0.0.1", "[::1]"]),
    ("http://[::1]:3000", "", "*.apps.example.com:8080", ["localhost", "127.0.0.1", "[::1]", ".apps.example.com"]),
    ("", "0.0.0.0:3000", "", ["*"]),
])
def test_allowed_hosts_follow_the_access_url(access_url, address, wildcard, expected):
    assert security.allowed_hosts(access_url, address, wildcard) == expected


# --- the admin's login --------------------------------------------------------------------

def _admin_login(client, username, password=PASSWORD):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"})


def test_admin_login_is_audited_and_issues_the_api_cookie(client, pat):
    refused = _admin_login(client, "pat", "wrong")
    assert refused.status_code == 401 and "Incorrect email or password." in refused.content.decode()
    assert AuditLog.objects.filter(action="login", status_code=401, resource_target="pat").exists()
    response = _admin_login(client, "pat")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert SESSION_TOKEN_COOKIE in response.cookies
    assert AuditLog.objects.filter(action="login", status_code=201, user=pat).exists()
    assert client.get("/admin/").status_code == 200


def test_admin_login_is_throttled(pat, monkeypatch):
    monkeypatch.setenv("CODER_LOGIN_RATE_LIMIT", "3")
    client = Client()
    statuses = [_admin_login(client, "pat", "wrong").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


def test_admin_login_checks_the_login_type(client, db):
    sso_user = UserFactory(username="sso", email="sso@example.com", login_type=LoginType.OIDC)
    sso_user.set_password(PASSWORD)  # even with a password somehow set
    sso_user.save()
    response = _admin_login(client, "sso")
    assert response.status_code == 403 and "login type" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_login_obeys_disable_password_auth(client, pat, monkeypatch):
    monkeypatch.setenv("CODER_DISABLE_PASSWORD_AUTH", "true")
    response = _admin_login(client, "pat")
    assert response.status_code == 403 and "disabled" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_logout_revokes_the_session_token(client, pat):
    _admin_login(client, "pat")
    key_id = client.cookies[SESSION_TOKEN_COOKIE].value.partition("-")[0]
    assert APIKey.objects.filter(pk=key_id).exists()
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert not APIKey.objects.filter(pk=key_id).exists()
    assert AuditLog.objects.filter(action="logout", user=pat).exists()
    assert client.get("/admin/").status_code == 302


def test_admin_password_change_revokes_other_sessions_and_is_audited(client, pat):
    other_key, _ = issue(pat, login_type=LoginType.PASSWORD)  # another browser, logged in earlier
    _admin_login(client, "pat")
    current = client.cookies[SESSION_TOKEN_COOKIE].value.partition("-")[0]
    response = client.post("/admin/password_change/", {"old_password": PASSWORD, "new_password1": "N3w-passw0rd!x",
                                                        "new_password2": "N3w-passw0rd!x"})
    assert response.status_code == 302 and response["Location"].endswith("/password_change/done/")
    assert not APIKey.objects.filter(pk=other_key.pk).exists()
    assert APIKey.objects.filter(pk=current).exists()  # this browser stays signed in
    assert AuditLog.objects.filter(action="write", resource_type="user", resource_id=str(pat.pk)).exists()
    pat.refresh_from_db()
    assert pat.check_password("N3w-passw0rd!x")
    assert client.get("/admin/").status_code == 200


def test_admin_password_change_shows_the_policy_message(client, pat):
    _admin_login(client, "pat")
    response = client.post("/admin/password_change/", {"old_password": PASSWORD, "new_password1": "zxqwvbnmlk",
                                                        "new_password2": "zxqwvbnmlk"})
    assert response.status_code == 200 and "insecure password" in response.content.decode()
    pat.refresh_from_db()
    assert pat.check_password(PASSWORD)


# --- password policy --------------------------------------------------------------------------

@pytest.mark.parametrize("password, message", [
    ("zxqwvbnmlk", "insecure password. Try including special characters, using uppercase letters, using numbers"),
    ("aaaaaaaaaaaaaaaaaaaaaaaa", "insecure password"),
    ("Aa1!" + "x" * 61, "password must be no more than 64 characters"),
])
def test_password_policy_message_is_in_the_error_body(client_for, member, password, message):
    response = client_for(member).put(f"{API}/users/me/password", {"old_password": PASSWORD, "password": password},
                                      format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["validations"][0]["field"] == "password" and message in body["validations"][0]["detail"]


def test_strong_password_is_accepted(client_for, member):
    response = client_for(member).put(f"{API}/users/me/password",
                                      {"old_password": PASSWORD, "password": "Tr0ub4dor&3-horse"}, format="json")
    assert response.status_code == 204
