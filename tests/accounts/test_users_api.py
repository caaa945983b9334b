"""The `/users` API: first user, listing and search, tenant isolation, CRUD, status, password,
roles (assignment matrix) and organizations."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import APIKey, AuditLog, Organization, User
from accounts.services import tokens
from tests.factories import PASSWORD, UserFactory, add_member

API = "/api/v2"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- first user ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_first_user_flow():
    client = APIClient()
    assert client.get(f"{API}/users/first").status_code == 404
    body = {"username": "admin", "email": "admin@example.com", "password": "s3cret-pass!", "name": "Ada"}
    response = client.post(f"{API}/users/first", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    user = User.objects.get(pk=data["user_id"])
    org = Organization.objects.get(pk=data["organization_id"])
    assert org.is_default and user.memberships.filter(organization=org).exists()
    assert [r.name for r in user.site_roles.all()] == ["owner"]
    assert client.get(f"{API}/users/first").status_code == 200
    again = client.post(f"{API}/users/first", {**body, "username": "other", "email": "o@example.com"}, format="json")
    assert again.status_code == 409
    # The first user can log in and is the site owner.
    login = client.post(f"{API}/users/login", {"email": "admin@example.com", "password": "s3cret-pass!"},
                        format="json")
    assert login.status_code == 201
    me = APIClient(HTTP_CODER_SESSION_TOKEN=login.json()["session_token"]).get(f"{API}/users/me").json()
    assert me["username"] == "admin" and me["roles"][0]["name"] == "owner"
    assert AuditLog.objects.filter(action="create", resource_type="user", resource_id=str(user.id)).exists()


@pytest.mark.django_db
def test_first_user_rejects_bad_input():
    client = APIClient()
    response = client.post(f"{API}/users/first", {"username": "-bad-", "email": "nope", "password": "x"},
                           format="json")
    assert response.status_code == 400
    fields = {v["field"] for v in response.json()["validations"]}
    assert {"username", "email"} <= fields
    assert not User.objects.exists()


# --- the User JSON ------------------------------------------------------------------------
def test_user_json_shape(client_for, owner, org):
    data = client_for(owner).get(f"{API}/users/me").json()
    assert set(data) >= {"id", "username", "name", "email", "avatar_url", "created_at", "updated_at",
                         "last_seen_at", "status", "login_type", "theme_preference", "organization_ids", "roles"}
    assert data["organization_ids"] == [str(org.id)]
    assert data["roles"] == [{"name": "owner", "display_name": "Owner", "organization_id": ""}]
    assert data["status"] == "active" and data["login_type"] == "password"


@pytest.mark.parametrize("ident", ["me", "member", "MEMBER", "id"])
def test_user_path_accepts_me_username_and_id(client_for, member, ident):
    ident = str(member.id) if ident == "id" else ident
    response = client_for(member).get(f"{API}/users/{ident}")
    assert response.status_code == 200
    assert response.json()["id"] == str(member.id)


# --- listing, search and isolation -------------------------------------------------------
def test_member_sees_only_users_of_their_organizations(client_for, owner, org_admin, member, outsider):
    client = client_for(member)
    listed = {u["username"] for u in client.get(f"{API}/users").json()["users"]}
    assert listed == {"owner", "org-admin", "member"}
    assert client.get(f"{API}/users/{outsider.id}").status_code == 404
    assert client.get(f"{API}/users/outsider").status_code == 404
    assert client.get(f"{API}/users/outsider/organizations").status_code == 404
    # The owner sees everyone.
    everyone = client_for(owner).get(f"{API}/users").json()
    assert everyone["count"] == 4 and "outsider" in {u["username"] for u in everyone["users"]}


def test_search_terms(client_for, owner, member, outsider):
    suspended = UserFactory(username="sleepy", status="suspended")
    add_member(suspended, owner.memberships.first().organization)
    client = client_for(owner)

    def names(q):
        response = client.get(f"{API}/users", {"q": q})
        assert response.status_code == 200, response.json()
        return {u["username"] for u in response.json()["users"]}

    assert names("status:suspended") == {"sleepy"}
    assert names("role:owner") == {"owner"}
    assert names("outs") == {"outsider"}
    assert names("login_type:password status:active") == {"owner", "member", "outsider"}
    assert names("created_after:2000-01-01T00:00:00Z") >= {"owner", "sleepy"}
    assert names("created_before:2000-01-01T00:00:00Z") == set()
    assert names("last_seen_before:2000-01-01T00:00:00Z") == set()


@pytest.mark.parametrize("q", ["status:sleeping", "created_after:yesterday", "colour:blue", 'unclosed:"quote'])
def test_bad_search_terms_are_400(client_for, owner, q):
    response = client_for(owner).get(f"{API}/users", {"q": q})
    assert response.status_code == 400
    assert response.json()["validations"]


def test_pagination(client_for, owner, member, org_admin, outsider):
    client = client_for(owner)
    page = client.get(f"{API}/users", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 4
    assert [u["username"] for u in page["users"]] == ["org-admin", "outsider"]
    assert client.get(f"{API}/users", {"limit": "-1"}).status_code == 400


def test_after_id_cursor(client_for, owner, member, org_admin, outsider):
    client = client_for(owner)
    page = client.get(f"{API}/users", {"after_id": str(org_admin.id), "limit": 2}).json()
    assert [u["username"] for u in page["users"]] == ["outsider", "owner"]
    assert client.get(f"{API}/users", {"after_id": "nope"}).status_code == 400
    # A user the actor cannot read is no cursor either.
    assert client_for(member).get(f"{API}/users", {"after_id": str(outsider.id)}).status_code == 400


def _list_queries(client) -> int:
    client.get(f"{API}/users")  # warm up: token `last_used` refresh happens at most once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}/users")
    assert response.status_code == 200
    return len(captured.captured_queries), response.json()["count"]


def test_user_list_query_count_does_not_grow_with_rows(client_for, owner, org, other_org):
    def grow_to(n):
        while User.objects.count() < n:
            user = UserFactory()
            add_member(user, org)
            add_member(user, other_org)
            user.site_roles.set(owner.site_roles.all())

    grow_to(5)
    small, count_small = _list_queries(client_for(owner))
    grow_to(30)
    large, count_large = _list_queries(client_for(owner))
    assert (count_small, count_large) == (5, 30)
    assert large == small
    assert large <= 12


def test_user_list_query_bound_as_member(client_for, member, org, django_assert_max_num_queries):
    for _ in range(30):
        add_member(UserFactory(), org)
    client = client_for(member)
    client.get(f"{API}/users")
    with django_assert_max_num_queries(12):
        assert client.get(f"{API}/users").json()["count"] == 31


# --- create -------------------------------------------------------------------------------
def test_owner_creates_user_in_organizations(client_for, owner, org, other_org):
    body = {"email": "new@example.com", "username": "newbie", "name": "New", "password": "a-good-password",
            "login_type": "password", "organization_ids": [str(org.id), str(other_org.id)]}
    response = client_for(owner).post(f"{API}/users", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "dormant" and sorted(data["organization_ids"]) == sorted([str(org.id),
                                                                                        str(other_org.id)])
    row = AuditLog.objects.get(action="create", resource_type="user", resource_id=data["id"])
    assert "a-good-password" not in str(row.diff)


def test_member_cannot_create_users(client_for, member):
    body = {"email": "x@example.com", "username": "x", "password": "a-good-password"}
    assert client_for(member).post(f"{API}/users", body, format="json").status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_oidc_user_without_password(client_for, owner):
    body = {"email": "sso@example.com", "username": "sso", "login_type": "oidc", "user_status": "active"}
    response = client_for(owner).post(f"{API}/users", body, format="json")
    assert response.status_code == 201
    assert response.json()["login_type"] == "oidc" and response.json()["status"] == "active"


# --- delete, profile, status, password ---------------------------------------------------
def test_delete_is_soft_and_removes_keys(client_for, owner, member):
    tokens.issue(member, login_type="password")
    response = client_for(owner).delete(f"{API}/users/member")
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.deleted and not APIKey.objects.filter(user=member).exists()
    assert not member.memberships.exists()
    assert client_for(owner).get(f"{API}/users/member").status_code == 404
    assert AuditLog.objects.filter(action="delete", resource_type="user", resource_id=str(member.id)).exists()
    # The username is free again.
    body = {"email": "member@example.com", "username": "member", "password": "a-good-password"}
    assert client_for(owner).post(f"{API}/users", body, format="json").status_code == 201


def test_cannot_delete_yourself(client_for, owner):
    assert client_for(owner).delete(f"{API}/users/me").status_code == 403


def test_member_cannot_delete_or_suspend_others(client_for, member, org_admin, outsider):
    client = client_for(member)
    assert client.delete(f"{API}/users/org-admin").status_code == 403
    assert client.put(f"{API}/users/org-admin/status/suspend").status_code == 403
    assert client.delete(f"{API}/users/outsider").status_code == 404


def test_profile_update(client_for, member, owner):
    client = client_for(member)
    response = client.put(f"{API}/users/me/profile", {"username": "renamed", "name": "Re Named"}, format="json")
    assert response.status_code == 200
    assert response.json()["username"] == "renamed" and response.json()["name"] == "Re Named"
    clash = client.put(f"{API}/users/me/profile", {"username": "OWNER"}, format="json")
    assert clash.status_code == 409
    assert clash.json()["validations"][0]["field"] == "username"
    assert client.put(f"{API}/users/owner/profile", {"username": "hijack"}, format="json").status_code == 403


def test_suspend_and_activate(client_for, owner, member):
    client = client_for(owner)
    member_client = client_for(member)
    response = client.put(f"{API}/users/member/status/suspend")
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    assert APIKey.objects.filter(user=member).exists()  # nothing deleted ...
    assert member_client.get(f"{API}/users/me").status_code == 401  # ... but no token works
    assert client.put(f"{API}/users/member/status/activate").json()["status"] == "active"
    assert member_client.get(f"{API}/users/me").status_code == 200
    assert client.put(f"{API}/users/me/status/suspend").status_code == 400


def test_user_admin_cannot_suspend_or_repassword_an_owner(client_for, owner, member):
    admin = UserFactory(username="uadmin", roles=["user-admin"])
    client = client_for(admin)
    assert client.put(f"{API}/users/member/status/suspend").status_code == 200
    assert client.put(f"{API}/users/owner/status/suspend").status_code == 403
    assert client.put(f"{API}/users/owner/password", {"password": "taken-over-now"}, format="json").status_code == 403
    assert client.delete(f"{API}/users/owner").status_code == 403


def test_change_own_password(client_for, member):
    client = client_for(member)
    url = f"{API}/users/me/password"
    assert client.put(url, {"password": "brand-new-pass"}, format="json").status_code == 400
    wrong = client.put(url, {"old_password": "wrong", "password": "brand-new-pass"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["validations"][0]["field"] == "old_password"
    weak = client.put(url, {"old_password": PASSWORD, "password": "123"}, format="json")
    assert weak.status_code == 400 and weak.json()["validations"][0]["field"] == "password"
    assert client.put(url, {"old_password": PASSWORD, "password": "brand-new-pass"}, format="json").status_code == 204
    member.refresh_from_db()
    assert member.check_password("brand-new-pass")
    row = AuditLog.objects.filter(action="write", resource_type="user", resource_id=str(member.id)).latest("time")
    assert "brand-new-pass" not in str(row.diff) and row.diff["password"]["secret"] is True


def test_owner_resets_password_without_old(client_for, owner, member):
    session = tokens.issue_token_for_tests(member)
    named, named_token = tokens.issue(member, login_type="token", token_name="ci", lifetime_seconds=3600)
    response = client_for(owner).put(f"{API}/users/member/password", {"password": "reset-by-owner"}, format="json")
    assert response.status_code == 204
    member.refresh_from_db()
    assert member.check_password("reset-by-owner")
    # Whoever held the old password's sessions is out; explicit tokens stay.
    assert APIClient(HTTP_CODER_SESSION_TOKEN=session).get(f"{API}/users/me").status_code == 401
    assert APIClient(HTTP_CODER_SESSION_TOKEN=named_token).get(f"{API}/users/me").status_code == 200


def test_own_password_change_keeps_the_current_session_only(client_for, member):
    other_session = tokens.issue_token_for_tests(member)
    client = client_for(member)
    same = client.put(f"{API}/users/me/password", {"old_password": PASSWORD, "password": PASSWORD}, format="json")
    assert same.status_code == 400 and same.json()["validations"][0]["field"] == "password"
    response = client.put(f"{API}/users/me/password", {"old_password": PASSWORD, "password": "fresh-pass-1"},
                          format="json")
    assert response.status_code == 204
    assert client.get(f"{API}/users/me").status_code == 200
    assert APIClient(HTTP_CODER_SESSION_TOKEN=other_session).get(f"{API}/users/me").status_code == 401


def test_login_type(client_for, member, org_admin):
    assert client_for(member).get(f"{API}/users/me/login-type").json() == {"login_type": "password"}
    assert client_for(member).get(f"{API}/users/org-admin/login-type").status_code == 403


# --- roles --------------------------------------------------------------------------------
@pytest.fixture
def user_admin(org):
    user = UserFactory(username="uadmin", roles=["user-admin"])
    add_member(user, org)
    return user


@pytest.mark.parametrize("actor, roles, expected", [
    ("owner", ["owner"], 200),
    ("owner", ["template-admin", "auditor", "user-admin"], 200),
    ("user_admin", ["template-admin"], 200),
    ("user_admin", ["auditor", "template-admin"], 200),
    ("user_admin", ["owner"], 403),
    ("user_admin", ["user-admin"], 403),
    ("member", ["template-admin"], 403),
    ("org_admin", ["auditor"], 403),
    ("outsider", ["auditor"], 404),
])
def test_role_assignment_matrix(client_for, owner, user_admin, member, org_admin, outsider, actor, roles,
                                expected):
    target = UserFactory(username="target")
    add_member(target, member.memberships.first().organization)
    actors = {"owner": owner, "user_admin": user_admin, "member": member, "org_admin": org_admin,
              "outsider": outsider}
    response = client_for(actors[actor]).put(f"{API}/users/target/roles", {"roles": roles}, format="json")
    assert response.status_code == expected, response.json()
    held = sorted(r.name for r in target.site_roles.all())
    if expected == 200:
        assert held == sorted(roles)
        assert sorted(r["name"] for r in response.json()["roles"]) == sorted(roles)
        row = AuditLog.objects.filter(action="write", resource_type="user", resource_id=str(target.id)).get()
        assert row.diff["roles"] == {"old": [], "new": sorted(roles), "secret": False}
    else:
        assert held == []


def test_user_admin_cannot_revoke_owner(client_for, owner, user_admin):
    response = client_for(user_admin).put(f"{API}/users/owner/roles", {"roles": []}, format="json")
    assert response.status_code == 403
    assert owner.site_roles.filter(name="owner").exists()


def test_cannot_change_own_roles(client_for, user_admin):
    response = client_for(user_admin).put(f"{API}/users/me/roles", {"roles": ["auditor", "user-admin"]},
                                          format="json")
    assert response.status_code == 403


def test_unknown_and_org_roles_rejected(client_for, owner, member):
    client = client_for(owner)
    for roles in (["wizard"], ["organization-admin"]):
        response = client.put(f"{API}/users/member/roles", {"roles": roles}, format="json")
        assert response.status_code == 400
        assert response.json()["validations"][0]["field"] == "roles"


def test_get_user_roles(client_for, owner, org_admin, org):
    data = client_for(owner).get(f"{API}/users/org-admin/roles").json()
    assert data == {"roles": [], "organization_roles": {str(org.id): ["organization-admin"]}}


def test_assignable_site_roles(client_for, owner, user_admin, member):
    by_name = {r["name"]: r for r in client_for(user_admin).get(f"{API}/users/roles").json()}
    assert "member" not in by_name
    assert by_name["template-admin"]["assignable"] is True and by_name["owner"]["assignable"] is False
    assert by_name["owner"]["built_in"] is True and by_name["owner"]["site_permissions"]
    assert set(by_name["owner"]) == {"name", "display_name", "assignable", "built_in", "site_permissions",
                                     "organization_permissions", "user_permissions", "organization_id"}
    assert all(r["assignable"] for r in client_for(owner).get(f"{API}/users/roles").json())
    assert not any(r["assignable"] for r in client_for(member).get(f"{API}/users/roles").json())


# --- organizations of a user -------------------------------------------------------------
def test_user_organizations(client_for, owner, member, org, other_org):
    add_member(owner, other_org)
    assert [o["name"] for o in client_for(owner).get(f"{API}/users/me/organizations").json()] == ["org-a", "org-b"]
    # A member sees the owner's organizations only where they can read them.
    assert [o["name"] for o in client_for(member).get(f"{API}/users/owner/organizations").json()] == ["org-a"]
    one = client_for(member).get(f"{API}/users/me/organizations/org-a")
    assert one.status_code == 200 and one.json()["id"] == str(org.id) and one.json()["is_default"] is True
    assert client_for(member).get(f"{API}/users/me/organizations/org-b").status_code == 404
