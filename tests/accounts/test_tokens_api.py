"""API keys: session keys, named tokens (lifetime default and cap, names, scopes), lookup,
listing without secrets, expiry, deletion, and who may mint for whom."""
from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import APIKey, AuditLog
from accounts.services import tokens

API = "/api/v2"
NS = 1_000_000_000
HOUR = 3600 * NS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create(client, user="me", **body):
    return client.post(f"{API}/users/{user}/keys/tokens", body, format="json")


def test_create_token_returns_key_once_and_it_works(client_for, member):
    client = client_for(member)
    response = create(client, token_name="ci", lifetime=2 * HOUR, scope="all")
    assert response.status_code == 201
    key_text = response.json()["key"]
    key = APIKey.objects.get(pk=key_text.split("-")[0])
    assert (key.token_name, key.login_type, key.lifetime_seconds, key.scope) == ("ci", "token", 7200, "all")
    assert abs((key.expires_at - timezone.now()).total_seconds() - 7200) < 60
    assert APIClient(HTTP_CODER_SESSION_TOKEN=key_text).get(f"{API}/users/me").status_code == 200
    audit = AuditLog.objects.get(action="create", resource_type="api_key", resource_target="ci")
    assert audit.resource_id == str(key.user_id)  # Coder files API-key rows under the key's owner
    assert audit.diff["token_name"]["new"] == "ci" and "hashed_secret" not in audit.diff


def test_default_lifetime_and_generated_name(client_for, member, monkeypatch):
    monkeypatch.setenv("CODER_DEFAULT_TOKEN_LIFETIME", "48h")
    response = create(client_for(member))
    assert response.status_code == 201
    key = APIKey.objects.get(pk=response.json()["key"].split("-")[0])
    assert key.lifetime_seconds == 48 * 3600 and key.token_name


def test_lifetime_capped_by_max(client_for, member, monkeypatch):
    monkeypatch.setenv("CODER_MAX_TOKEN_LIFETIME", "24h")
    client = client_for(member)
    too_long = create(client, token_name="long", lifetime=25 * HOUR)
    assert too_long.status_code == 400 and too_long.json()["validations"][0]["field"] == "lifetime"
    assert create(client, token_name="ok", lifetime=24 * HOUR).status_code == 201
    assert create(client, token_name="negative", lifetime=-HOUR).status_code == 400
    config = client.get(f"{API}/users/me/keys/tokens/tokenconfig")
    assert config.json() == {"max_token_lifetime": 24 * HOUR}


def test_duplicate_name_is_409(client_for, member):
    client = client_for(member)
    assert create(client, token_name="ci").status_code == 201
    response = create(client, token_name="ci")
    assert response.status_code == 409
    assert APIKey.objects.filter(token_name="ci").count() == 1


@pytest.mark.parametrize("body, field", [
    ({"token_name": "a/b"}, "token_name"),
    ({"token_name": "x" * 65}, "token_name"),
    ({"token_name": 7}, "token_name"),
    ({"lifetime": "1h"}, "lifetime"),
    ({"lifetime": True}, "lifetime"),
    ({"lifetime": 1.5}, "lifetime"),
    ({"scope": "everything"}, "scope"),
])
def test_bad_token_requests(client_for, member, body, field):
    response = create(client_for(member), **body)
    assert response.status_code == 400
    assert field in {v["field"] for v in response.json()["validations"]}
    assert not APIKey.objects.filter(login_type="token").exists()


def test_list_tokens_never_shows_secrets(client_for, member):
    client = client_for(member)
    plaintext = create(client, token_name="ci").json()["key"]
    expired = create(client, token_name="old").json()["key"]
    APIKey.objects.filter(pk=expired.split("-")[0]).update(expires_at=timezone.now())
    listed = client.get(f"{API}/users/me/keys/tokens").json()
    assert [t["token_name"] for t in listed] == ["ci"]
    assert set(listed[0]) >= {"id", "user_id", "last_used", "expires_at", "created_at", "updated_at",
                              "login_type", "scope", "token_name", "lifetime_seconds"}
    assert "hashed_secret" not in listed[0] and plaintext.split("-", 1)[1] not in str(listed)
    with_expired = client.get(f"{API}/users/me/keys/tokens", {"include_expired": "true"}).json()
    assert {t["token_name"] for t in with_expired} == {"ci", "old"}


def test_get_by_name_and_id(client_for, member):
    client = client_for(member)
    key_id = create(client, token_name="ci").json()["key"].split("-")[0]
    by_name = client.get(f"{API}/users/me/keys/tokens/ci")
    assert by_name.status_code == 200 and by_name.json()["id"] == key_id
    by_id = client.get(f"{API}/users/member/keys/{key_id}")
    assert by_id.status_code == 200 and by_id.json()["token_name"] == "ci"
    assert client.get(f"{API}/users/me/keys/tokens/nope").status_code == 404
    assert client.get(f"{API}/users/me/keys/nope123456").status_code == 404


def test_expire_and_delete(client_for, member):
    client = client_for(member)
    plaintext = create(client, token_name="ci").json()["key"]
    key_id = plaintext.split("-")[0]
    assert client.put(f"{API}/users/me/keys/{key_id}/expire").status_code == 204
    assert APIClient(HTTP_CODER_SESSION_TOKEN=plaintext).get(f"{API}/users/me").status_code == 401
    assert APIKey.objects.filter(pk=key_id).exists()
    assert client.delete(f"{API}/users/me/keys/{key_id}").status_code == 204
    assert not APIKey.objects.filter(pk=key_id).exists()
    # Rows name the key's owner (Coder's rule); the key itself is in the diff.
    for action in ("delete", "write"):
        row = AuditLog.objects.get(action=action, resource_type="api_key")
        assert row.resource_id == str(member.id) and row.resource_target == "ci"


def test_session_key_endpoint(client_for, member):
    response = client_for(member).post(f"{API}/users/me/keys")
    assert response.status_code == 201
    key = APIKey.objects.get(pk=response.json()["key"].split("-")[0])
    assert key.token_name == "" and key.user == member


def test_owner_mints_tokens_for_others(client_for, owner, member):
    response = create(client_for(owner), user="member", token_name="for-member")
    assert response.status_code == 201
    assert APIClient(HTTP_CODER_SESSION_TOKEN=response.json()["key"]).get(
        f"{API}/users/me").json()["username"] == "member"
    listed = client_for(owner).get(f"{API}/users/member/keys/tokens").json()
    assert [t["token_name"] for t in listed] == ["for-member"]
    everything = client_for(owner).get(f"{API}/users/me/keys/tokens", {"include_all": "true"}).json()
    assert {t["username"] for t in everything} == {"member"}


@pytest.mark.parametrize("actor, target, expected", [
    ("member", "owner", 403), ("org_admin", "member", 403), ("member", "outsider", 404)])
def test_others_cannot_touch_your_keys(client_for, owner, org_admin, member, outsider, actor, target, expected):
    users = {"owner": owner, "org_admin": org_admin, "member": member, "outsider": outsider}
    victim_key, _ = tokens.issue(users[target], login_type="token", token_name="mine", lifetime_seconds=3600)
    client = client_for(users[actor])
    assert create(client, user=target, token_name="evil").status_code == expected
    assert client.get(f"{API}/users/{target}/keys/tokens").status_code == expected
    assert client.post(f"{API}/users/{target}/keys").status_code == expected
    assert client.get(f"{API}/users/{target}/keys/{victim_key.id}").status_code == 404
    assert client.delete(f"{API}/users/{target}/keys/{victim_key.id}").status_code == 404
    assert client.put(f"{API}/users/{target}/keys/{victim_key.id}/expire").status_code == 404
    assert APIKey.objects.filter(pk=victim_key.pk, expires_at__gt=timezone.now()).exists()
    assert not APIKey.objects.filter(token_name="evil").exists()


def test_a_users_key_id_under_another_user_is_404(client_for, owner, member):
    key, _ = tokens.issue(member, login_type="token", token_name="ci", lifetime_seconds=3600)
    assert client_for(owner).get(f"{API}/users/owner/keys/{key.id}").status_code == 404
    assert client_for(owner).get(f"{API}/users/member/keys/{key.id}").status_code == 200
