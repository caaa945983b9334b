"""Login, logout, the three ways to present a token, refusals (expired, suspended, deleted),
password-auth switch, auth methods, and rate limits."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import APIKey, AuditLog
from accounts.services import tokens
from coderportal.api.authentication import SESSION_TOKEN_COOKIE, hash_secret
from tests.factories import PASSWORD, UserFactory

API = "/api/v2"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client, email, password=PASSWORD):
    return client.post(f"{API}/users/login", {"email": email, "password": password}, format="json")


# --- login / logout ------------------------------------------------------------------------
def test_login_issues_session_token_and_cookie(member):
    client = APIClient()
    response = login(client, "member@example.com")
    assert response.status_code == 201
    token = response.json()["session_token"]
    key_id, secret = token.split("-", 1)
    key = APIKey.objects.get(pk=key_id)
    assert key.user == member and key.login_type == "password" and key.token_name == ""
    cookie = response.cookies[SESSION_TOKEN_COOKIE]
    assert cookie.value == token and cookie["httponly"]
    row = AuditLog.objects.get(action="login", resource_type="api_key")
    # Coder files API-key rows under the key's owner (a key id is not a UUID).
    assert row.status_code == 201 and row.user == member and row.resource_id == str(member.id)
    assert row.diff["id"]["new"] == key_id


def test_login_activates_dormant_user(org):
    user = UserFactory(username="sleeper", status="dormant")
    assert login(APIClient(), "sleeper@example.com").status_code == 201
    user.refresh_from_db()
    assert user.status == "active" and user.last_seen_at is not None


@pytest.mark.parametrize("email, password", [("member@example.com", "wrong"), ("nobody@example.com", PASSWORD)])
def test_failed_login_is_401_and_audited(member, email, password):
    response = login(APIClient(), email, password)
    assert response.status_code == 401
    assert response.json()["message"] == "Incorrect email or password."
    row = AuditLog.objects.get(action="login")
    assert row.status_code == 401 and row.user == (member if email.startswith("member") else None)
    assert password not in str(row.diff) + row.description + row.resource_target
    assert not APIKey.objects.exists()


def test_suspended_user_cannot_log_in(member):
    member.status = "suspended"
    member.save()
    response = login(APIClient(), "member@example.com")
    assert response.status_code == 401 and "suspended" in response.json()["message"]
    # Without the password, suspension is not revealed.
    assert "suspended" not in login(APIClient(), "member@example.com", "wrong").json()["message"]


def test_non_password_user_cannot_use_password(org):
    UserFactory(username="sso", login_type="oidc")
    assert login(APIClient(), "sso@example.com").status_code == 403


def test_disabled_password_auth_keeps_owners_in(monkeypatch, owner, member):
    monkeypatch.setenv("CODER_DISABLE_PASSWORD_AUTH", "true")
    assert login(APIClient(), "member@example.com").status_code == 403
    assert login(APIClient(), "owner@example.com").status_code == 201
    assert APIClient().get(f"{API}/users/authmethods").json()["password"] == {"enabled": False}


def test_logout_deletes_the_session_key(member):
    client = APIClient()
    token = login(client, "member@example.com").json()["session_token"]
    client.credentials(HTTP_CODER_SESSION_TOKEN=token)
    assert client.get(f"{API}/users/me").status_code == 200
    response = client.post(f"{API}/users/logout")
    assert response.status_code == 200 and response.json()["message"]
    assert not APIKey.objects.filter(pk=token.split("-")[0]).exists()
    assert client.get(f"{API}/users/me").status_code == 401
    assert AuditLog.objects.filter(action="logout", resource_type="api_key", user=member).exists()


def test_login_works_with_a_stale_cookie(member):
    client = APIClient()
    client.cookies[SESSION_TOKEN_COOKIE] = "stale00000-nonsense"
    assert client.get(f"{API}/users/me").status_code == 401
    assert login(client, "member@example.com").status_code == 201


def test_login_by_username_too(member):
    assert login(APIClient(), "member").status_code == 201


# --- presenting a token ----------------------------------------------------------------------
@pytest.mark.parametrize("how", ["header", "bearer", "cookie"])
def test_token_accepted_by_header_bearer_and_cookie(member, how):
    token = tokens.issue_token_for_tests(member)
    client = APIClient()
    if how == "header":
        client.credentials(HTTP_CODER_SESSION_TOKEN=token)
    elif how == "bearer":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    else:
        client.cookies[SESSION_TOKEN_COOKIE] = token
    response = client.get(f"{API}/users/me")
    assert response.status_code == 200 and response.json()["username"] == "member"


def _client(token):
    return APIClient(HTTP_CODER_SESSION_TOKEN=token)


def test_unauthenticated_is_401(db):
    assert APIClient().get(f"{API}/users/me").status_code == 401
    assert APIClient().get(f"{API}/users").status_code == 401


def test_expired_token_is_401(member):
    key, token = tokens.issue(member, login_type="token", token_name="ci", lifetime_seconds=60)
    APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _client(token).get(f"{API}/users/me").status_code == 401


def test_wrong_secret_is_401(member):
    key, token = tokens.issue(member, login_type="password")
    assert _client(f"{key.id}-not-the-secret").get(f"{API}/users/me").status_code == 401
    assert _client("garbage").get(f"{API}/users/me").status_code == 401


@pytest.mark.parametrize("change", [{"status": "suspended"}, {"deleted": True}])
def test_tokens_of_suspended_or_deleted_users_are_401(member, change):
    token = tokens.issue_token_for_tests(member)
    type(member).objects.filter(pk=member.pk).update(**change)
    assert _client(token).get(f"{API}/users/me").status_code == 401


def test_database_holds_no_usable_secret(member, owner):
    """Neither API key rows nor audit rows contain any plaintext secret: only its sha256."""
    plaintexts = [login(APIClient(), "member@example.com").json()["session_token"]]
    client = _client(plaintexts[0])
    plaintexts.append(client.post(f"{API}/users/me/keys/tokens", {"token_name": "ci"}, format="json").json()["key"])
    plaintexts.append(client.post(f"{API}/users/me/keys").json()["key"])
    plaintexts.append(_client(tokens.issue_token_for_tests(owner)).post(
        f"{API}/users/member/keys/tokens", {"token_name": "minted"}, format="json").json()["key"])
    for plaintext in plaintexts:
        key_id, secret = plaintext.split("-", 1)
        key = APIKey.objects.get(pk=key_id)
        assert key.hashed_secret == hash_secret(secret)
        stored = " ".join(str(v) for v in APIKey.objects.filter(pk=key_id).values().get().values())
        assert secret not in stored
        for row in AuditLog.objects.values():
            dumped = " ".join(str(v) for v in row.values())
            assert secret not in dumped and key.hashed_secret not in dumped
    assert AuditLog.objects.filter(action="create", resource_type="api_key").count() == 3


# --- auth methods ---------------------------------------------------------------------------
def test_auth_methods_default(db):
    data = APIClient().get(f"{API}/users/authmethods").json()
    assert data == {"terms_of_service_url": "", "password": {"enabled": True},
                    "github": {"enabled": False, "default_provider_configured": False},
                    "oidc": {"enabled": False, "signInText": "OpenID Connect", "iconUrl": ""}}


def test_auth_methods_follow_configuration(db, monkeypatch):
    monkeypatch.setenv("CODER_OIDC_ISSUER_URL", "https://idp.example.com")
    monkeypatch.setenv("CODER_OIDC_CLIENT_ID", "portal")
    monkeypatch.setenv("CODER_OIDC_SIGN_IN_TEXT", "Company SSO")
    monkeypatch.setenv("CODER_OAUTH2_GITHUB_CLIENT_ID", "gh-client")
    data = APIClient().get(f"{API}/users/authmethods").json()
    assert data["oidc"]["enabled"] is True and data["oidc"]["signInText"] == "Company SSO"
    assert data["github"]["enabled"] is True


# --- rate limits ------------------------------------------------------------------------------
def test_login_rate_limit(member, monkeypatch):
    monkeypatch.setenv("CODER_LOGIN_RATE_LIMIT", "3")
    client = APIClient()
    statuses = [login(client, "member@example.com", "wrong").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    limited = login(client, "member@example.com")  # even the right password waits
    assert limited.status_code == 429 and limited.json()["message"]


def test_api_rate_limit(member, monkeypatch):
    monkeypatch.setenv("CODER_API_RATE_LIMIT", "5")
    client = _client(tokens.issue_token_for_tests(member))
    statuses = [client.get(f"{API}/users/me").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]


def test_trailing_slashes_are_tolerated(member):
    client = _client(tokens.issue_token_for_tests(member))
    assert client.get(f"{API}/users/me/").status_code == 200
    assert login(APIClient(), "member@example.com").status_code == 201
    response = APIClient().post(f"{API}/users/login/", {"email": "member@example.com", "password": PASSWORD},
                                format="json")
    assert response.status_code == 201
