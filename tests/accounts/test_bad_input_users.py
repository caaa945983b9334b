"""Hostile and malformed input to the users/auth/token API: always a 4xx with a Coder error
body (per-field validations where a field is at fault), never a 500."""
from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import User

API = "/api/v2"

# (method, path) of every route in this API that takes a body.
BODY_ROUTES = [
    ("post", "/users/first"),
    ("post", "/users/login"),
    ("post", "/users"),
    ("put", "/users/member/profile"),
    ("put", "/users/member/password"),
    ("put", "/users/member/roles"),
    ("post", "/users/member/keys/tokens"),
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client(client_for, owner, member):
    return client_for(owner)


def send(client, method, path, raw: bytes | str, content_type="application/json"):
    return getattr(client, method)(f"{API}{path}", data=raw, content_type=content_type)


def assert_error(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"]
    return body


@pytest.mark.parametrize("method, path", BODY_ROUTES)
@pytest.mark.parametrize("raw", ['{"username": ', "not json", "\xff\xfe", "{'single': 'quotes'}", "NaN-ish"])
def test_malformed_json_is_400(client, method, path, raw):
    assert_error(send(client, method, path, raw), 400)


@pytest.mark.parametrize("method, path", BODY_ROUTES)
@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"string"', "42", "null", "true"])
def test_non_object_json_is_400(client, method, path, raw):
    assert_error(send(client, method, path, raw), 400)


@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_oversized_body_is_413(client, settings, method, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    raw = json.dumps({"username": "x" * 4096, "email": "a@example.com", "password": "p"})
    assert_error(send(client, method, path, raw), 413)


@pytest.mark.parametrize("method, path", BODY_ROUTES)
@pytest.mark.parametrize("value", [None, 1, 1.5, True, [], {}, ["a"], {"a": 1}, "x" * 10000, "\u0000"])
def test_wrong_types_everywhere_never_500(client, method, path, value):
    fields = ["email", "username", "name", "password", "old_password", "login_type", "user_status",
              "organization_ids", "roles", "token_name", "lifetime", "scope"]
    for field in fields:
        body = {"email": "valid@example.com", "username": "valid", "password": "a-good-password", field: value}
        response = send(client, method, path, json.dumps(body))
        assert response.status_code < 500, (field, value, response.content[:300])


@pytest.mark.parametrize("field, value", [
    ("username", 123), ("username", ["a"]), ("email", 5), ("password", 123456789),
    ("organization_ids", "not-a-list"), ("organization_ids", [1]), ("organization_ids", ["not-a-uuid"]),
    ("login_type", "magic"), ("user_status", "sleeping"), ("name", {"first": "a"}),
])
def test_create_user_wrong_types_name_the_field(client, field, value):
    body = {"email": "new@example.com", "username": "newbie", "password": "a-good-password", field: value}
    response = client.post(f"{API}/users", body, format="json")
    body = assert_error(response, 400)
    # A bad list item is reported at its position, e.g. `organization_ids[0]`.
    assert any(v["field"].split("[")[0] == field for v in body["validations"]), body
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize("username", ["", "-lead", "trail-", "dou--ble", "sp ace", "ünï", "a" * 33, "me",
                                      "under_score", "dot.ted", "new"])
def test_invalid_usernames(client, username):
    body = {"email": "new@example.com", "username": username, "password": "a-good-password"}
    response = assert_error(client.post(f"{API}/users", body, format="json"), 400)
    assert "username" in {v["field"] for v in response["validations"]}


@pytest.mark.parametrize("username", ["a", "A1", "a-b-c", "x" * 32])
def test_valid_usernames(client, username):
    body = {"email": f"{username}@example.com", "username": username, "password": "a-good-password"}
    assert client.post(f"{API}/users", body, format="json").status_code == 201


@pytest.mark.parametrize("body, field", [
    ({"email": "MEMBER@example.com", "username": "fresh"}, "email"),
    ({"email": "fresh@example.com", "username": "Member"}, "username"),
])
def test_duplicates_are_409_with_field(client, body, field):
    response = client.post(f"{API}/users", {**body, "password": "a-good-password"}, format="json")
    assert field in {v["field"] for v in assert_error(response, 409)["validations"]}


def test_missing_fields_are_listed(client):
    body = assert_error(client.post(f"{API}/users", {}, format="json"), 400)
    assert {"email", "username"} <= {v["field"] for v in body["validations"]}
    body = assert_error(client.post(f"{API}/users", {"email": "a@example.com", "username": "abc"}, format="json"),
                        400)
    assert "password" in {v["field"] for v in body["validations"]}


def test_password_for_sso_user_rejected(client):
    body = {"email": "s@example.com", "username": "sso", "password": "a-good-password", "login_type": "oidc"}
    assert "password" in {v["field"] for v in assert_error(client.post(f"{API}/users", body, format="json"),
                                                          400)["validations"]}


def test_unknown_roles_400(client):
    response = client.put(f"{API}/users/member/roles", {"roles": ["owner", "grand-wizard"]}, format="json")
    body = assert_error(response, 400)
    assert body["validations"] == [{"field": "roles", "detail": "Unknown site roles: grand-wizard."}]
    assert assert_error(client.put(f"{API}/users/member/roles", {"roles": "owner"}, format="json"), 400)
    assert assert_error(client.put(f"{API}/users/member/roles", {}, format="json"), 400)


def test_unknown_organization_id_400(client):
    body = {"email": "a@example.com", "username": "abc", "password": "a-good-password",
            "organization_ids": ["00000000-0000-0000-0000-000000000000"]}
    assert "organization_ids" in {v["field"] for v in assert_error(
        client.post(f"{API}/users", body, format="json"), 400)["validations"]}


def test_login_bad_bodies(db):
    client = APIClient()
    assert_error(client.post(f"{API}/users/login", {"email": "a@example.com"}, format="json"), 400)
    assert_error(client.post(f"{API}/users/login", {"email": 1, "password": 2}, format="json"), 400)
    assert_error(client.post(f"{API}/users/login", {"email": "", "password": ""}, format="json"), 400)
    assert_error(client.post(f"{API}/users/login", {"email": "a@example.com", "password": "p" * 5000},
                             format="json"), 400)


@pytest.mark.parametrize("path", ["/users/%00", "/users/" + "a" * 500, "/users/me/keys/tokens/%0A",
                                  "/users/nobody/roles",
                                  "/users/00000000-0000-0000-0000-000000000000", "/users/me/organizations/%00",
                                  "/users/me/keys/tokens/a%00b", "/users/me/keys/ab%00cd"])
def test_strange_path_parameters_are_404(client, path):
    assert_error(client.get(f"{API}{path}"), 404)


@pytest.mark.parametrize("params", [{"limit": "x"}, {"offset": "-3"}, {"limit": "1e3"}, {"q": "status:"},
                                    {"q": "role:"}, {"q": "last_seen_after:2024-13-45T00:00:00Z"},
                                    {"q": "nul\x00byte"}, {"limit": "1\x00"}])
def test_bad_list_parameters_are_400(client, params):
    assert_error(client.get(f"{API}/users", params), 400)
