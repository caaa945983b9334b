"""`/organizations` and members: shapes, permission tables, bad input, audit, query counts."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog, Group, Organization, OrganizationMember
from tests.factories import OrganizationFactory, UserFactory, add_member

ORG_KEYS = {"id", "name", "display_name", "description", "icon", "created_at", "updated_at", "is_default"}
MEMBER_KEYS = {"user_id", "organization_id", "created_at", "updated_at", "roles"}
MEMBER_USER_KEYS = MEMBER_KEYS | {"username", "name", "email", "avatar_url", "global_roles", "status",
                                  "login_type", "last_seen_at", "user_created_at", "user_updated_at"}


@pytest.fixture
def users(owner, org_admin, member, outsider):
    return {"owner": owner, "org_admin": org_admin, "member": member, "outsider": outsider}


def as_(client_for, users, name):
    return client_for(users[name])


# --- organizations ------------------------------------------------------------------------

def test_list_is_rbac_filtered(client_for, users, org, other_org):
    names = lambda who: {o["name"] for o in as_(client_for, users, who).get("/api/v2/organizations").json()}  # noqa
    assert names("owner") == {"org-a", "org-b"}
    assert names("member") == {"org-a"}
    assert names("outsider") == {"org-b"}
    body = as_(client_for, users, "member").get("/api/v2/organizations").json()[0]
    assert set(body) == ORG_KEYS and body["is_default"] is True


@pytest.mark.parametrize("ref", ["id", "name", "default", "NAME"])
def test_get_by_id_name_or_default(client_for, member, org, ref):
    value = {"id": str(org.id), "name": org.name, "default": "default", "NAME": org.name.upper()}[ref]
    response = client_for(member).get(f"/api/v2/organizations/{value}")
    assert response.status_code == 200 and response.json()["id"] == str(org.id)


def test_unreadable_and_missing_look_the_same(client_for, member, other_org):
    client = client_for(member)
    assert client.get(f"/api/v2/organizations/{other_org.id}").status_code == 404
    assert client.get("/api/v2/organizations/no-such-org").status_code == 404


@pytest.mark.parametrize("who, status", [("owner", 201), ("org_admin", 403), ("member", 403), ("outsider", 403)])
def test_create_permissions(client_for, users, who, status):
    response = as_(client_for, users, who).post("/api/v2/organizations", {"name": "new-org"}, format="json")
    assert response.status_code == status, response.content


def test_create_makes_everyone_group_admin_membership_and_audit(client_for, owner):
    response = client_for(owner).post("/api/v2/organizations", {"name": "acme", "display_name": "Acme Inc",
                                                                "description": "d", "icon": "/i.svg"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == ORG_KEYS and body["display_name"] == "Acme Inc" and body["is_default"] is False
    org = Organization.objects.get(name="acme")
    assert Group.objects.get(id=org.id).name == "Everyone"
    membership = OrganizationMember.objects.get(organization=org, user=owner)
    assert [r.name for r in membership.roles.all()] == ["organization-admin"]
    row = AuditLog.objects.get(resource_type="organization", action="create")
    assert row.diff["name"]["new"] == "acme"


def test_create_duplicate_is_409(client_for, owner, org):
    response = client_for(owner).post("/api/v2/organizations", {"name": "ORG-A"}, format="json")
    assert response.status_code == 409


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "-bad"}, "name"),
    ({"name": "has space"}, "name"),
    ({"name": "x" * 33}, "name"),
    ({"name": "default"}, "name"),
    ({"name": 5}, "name"),
    ({"name": ["a"]}, "name"),
    ({"name": "ok", "display_name": 3}, "display_name"),
    ({"name": "ok", "display_name": "d" * 65}, "display_name"),
    ({"name": "ok", "icon": {"a": 1}}, "icon"),
])
def test_create_bad_input(client_for, owner, body, field):
    response = client_for(owner).post("/api/v2/organizations", body, format="json")
    assert response.status_code == 400, response.content
    assert field in {v["field"] for v in response.json()["validations"]}


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "null", '"text"'])
def test_malformed_json_is_400(client_for, owner, raw):
    response = client_for(owner).post("/api/v2/organizations", raw, content_type="application/json")
    assert response.status_code == 400 and "message" in response.json()


@pytest.mark.parametrize("who, status", [("owner", 200), ("org_admin", 200), ("member", 403), ("outsider", 404)])
def test_patch_permissions(client_for, users, org, who, status):
    response = as_(client_for, users, who).patch(f"/api/v2/organizations/{org.id}",
                                                 {"display_name": "Renamed"}, format="json")
    assert response.status_code == status


def test_patch_updates_validates_and_audits(client_for, owner, org, other_org):
    client = client_for(owner)
    response = client.patch(f"/api/v2/organizations/{org.name}", {"name": "alpha", "description": "new"},
                            format="json")
    assert response.status_code == 200 and response.json()["name"] == "alpha"
    assert response.json()["description"] == "new"
    row = AuditLog.objects.get(resource_type="organization", action="write")
    assert row.diff["name"] == {"old": "org-a", "new": "alpha", "secret": False}
    assert client.patch("/api/v2/organizations/alpha", {"name": "org-b"}, format="json").status_code == 409
    bad = client.patch("/api/v2/organizations/alpha", {"name": "no_underscores"}, format="json")
    assert bad.status_code == 400 and bad.json()["validations"][0]["field"] == "name"


def test_delete_default_is_400_and_other_is_200(client_for, owner, org, other_org):
    client = client_for(owner)
    assert client.delete(f"/api/v2/organizations/{org.id}").status_code == 400
    everyone_auth = Group.objects.get(id=other_org.id).auth_group_id
    response = client.delete(f"/api/v2/organizations/{other_org.name}")
    assert response.status_code == 200 and "message" in response.json()
    assert not Organization.objects.filter(id=other_org.id).exists()
    from django.contrib.auth.models import Group as AuthGroup
    assert not AuthGroup.objects.filter(id=everyone_auth).exists()
    assert AuditLog.objects.filter(resource_type="organization", action="delete").count() == 1


@pytest.mark.parametrize("who, status", [("org_admin", 200), ("member", 403), ("outsider", 404)])
def test_delete_permissions(client_for, users, org, who, status):
    extra = OrganizationFactory(name="extra")
    for user in users.values():
        add_member(user, extra, roles=["organization-admin"] if user.username == "org-admin" else ())
    if who == "outsider":
        OrganizationMember.objects.filter(user=users["outsider"], organization=extra).delete()
    assert as_(client_for, users, who).delete(f"/api/v2/organizations/{extra.id}").status_code == status


# --- members --------------------------------------------------------------------------------

def test_members_list_shape(client_for, org, owner, org_admin, member):
    response = client_for(member).get(f"/api/v2/organizations/{org.id}/members")
    assert response.status_code == 200
    rows = {r["username"]: r for r in response.json()}
    assert set(rows) == {"owner", "org-admin", "member"}
    assert set(rows["member"]) == MEMBER_USER_KEYS
    assert rows["org-admin"]["roles"] == [{"name": "organization-admin", "display_name": "Organization Admin",
                                           "organization_id": str(org.id)}]
    assert rows["owner"]["global_roles"] == [{"name": "owner", "display_name": "Owner", "organization_id": ""}]
    assert rows["member"]["organization_id"] == str(org.id)


def test_members_of_other_org_is_404(client_for, member, other_org):
    assert client_for(member).get(f"/api/v2/organizations/{other_org.id}/members").status_code == 404


def test_paginated_members(client_for, org, owner, org_admin, member):
    client = client_for(member)
    body = client.get(f"/api/v2/organizations/{org.id}/paginated-members?limit=2&offset=1").json()
    assert body["count"] == 3 and [m["username"] for m in body["members"]] == ["org-admin", "owner"]
    bad = client.get(f"/api/v2/organizations/{org.id}/paginated-members?limit=abc")
    assert bad.status_code == 400 and bad.json()["validations"][0]["field"] == "limit"


def _member_list_queries(client, org) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/api/v2/organizations/{org.id}/members").status_code == 200
    return len(ctx.captured_queries)


def test_member_list_query_count_is_constant(client_for, org, member):
    client = client_for(member)
    for i in range(2):
        add_member(UserFactory(roles=["auditor"]), org, roles=["organization-auditor"])
    _member_list_queries(client, org)  # the first request also records token use
    small = _member_list_queries(client, org)
    for i in range(15):
        add_member(UserFactory(roles=["template-admin"]), org, roles=["organization-template-admin"])
    assert _member_list_queries(client, org) == small


@pytest.mark.parametrize("ref", ["id", "username", "me"])
def test_get_member(client_for, org, member, ref):
    value = {"id": str(member.id), "username": "MEMBER", "me": "me"}[ref]
    response = client_for(member).get(f"/api/v2/organizations/{org.id}/members/{value}")
    assert response.status_code == 200 and response.json()["user_id"] == str(member.id)


def test_get_member_of_other_org_or_nonmember_is_404(client_for, org, member, outsider, other_org):
    client = client_for(member)
    assert client.get(f"/api/v2/organizations/{org.id}/members/{outsider.id}").status_code == 404
    assert client.get(f"/api/v2/organizations/{other_org.id}/members/{outsider.id}").status_code == 404


@pytest.mark.parametrize("who, status", [("owner", 200), ("org_admin", 200), ("member", 403), ("outsider", 404)])
def test_add_member_permissions(client_for, users, org, who, status):
    newcomer = UserFactory(username="newcomer")
    response = as_(client_for, users, who).post(f"/api/v2/organizations/{org.id}/members/{newcomer.username}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert set(body) == MEMBER_KEYS and body["user_id"] == str(newcomer.id) and body["roles"] == []
        row = AuditLog.objects.get(resource_type="organization_member", action="create")
        assert row.resource_id == str(newcomer.id)


def test_add_member_twice_or_unknown_user(client_for, org, org_admin, member):
    client = client_for(org_admin)
    assert client.post(f"/api/v2/organizations/{org.id}/members/{member.id}").status_code == 409
    assert client.post(f"/api/v2/organizations/{org.id}/members/nobody").status_code == 404


@pytest.mark.parametrize("who, status", [("owner", 204), ("org_admin", 204), ("member", 403), ("outsider", 404)])
def test_remove_member_permissions(client_for, users, org, who, status):
    victim = UserFactory(username="victim")
    add_member(victim, org)
    response = as_(client_for, users, who).delete(f"/api/v2/organizations/{org.id}/members/victim")
    assert response.status_code == status
    assert OrganizationMember.objects.filter(user=victim, organization=org).exists() is (status != 204)


def test_remove_member_drops_group_memberships_and_audits(client_for, org, org_admin, member):
    from tests.factories import GroupFactory

    group = GroupFactory(organization=org, name="devs")
    group.auth_group.user_set.add(member)
    assert client_for(org_admin).delete(f"/api/v2/organizations/{org.id}/members/{member.id}").status_code == 204
    assert not group.auth_group.user_set.filter(pk=member.pk).exists()
    assert AuditLog.objects.filter(resource_type="organization_member", action="delete").count() == 1


def test_cannot_remove_self(client_for, org, org_admin):
    response = client_for(org_admin).delete(f"/api/v2/organizations/{org.id}/members/me")
    assert response.status_code == 400


# --- member roles -----------------------------------------------------------------------------

def _put_roles(client, org, user, roles):
    return client.put(f"/api/v2/organizations/{org.id}/members/{user}/roles", {"roles": roles}, format="json")


@pytest.mark.parametrize("who, status", [("owner", 200), ("org_admin", 200), ("member", 403), ("outsider", 404)])
def test_assign_roles_permissions(client_for, users, org, who, status):
    target = UserFactory(username="target")
    add_member(target, org)
    response = _put_roles(as_(client_for, users, who), org, "target", ["organization-auditor"])
    assert response.status_code == status
    if status == 200:
        assert [r["name"] for r in response.json()["roles"]] == ["organization-auditor"]
        row = AuditLog.objects.get(resource_type="organization_member", action="write")
        assert row.diff["roles"] == {"old": [], "new": ["organization-auditor"], "secret": False}


def test_assign_roles_rules(client_for, org, owner, org_admin, member):
    client = client_for(org_admin)
    unknown = _put_roles(client, org, member.username, ["organization-admin", "galactic-emperor"])
    assert unknown.status_code == 400 and unknown.json()["validations"][0]["field"] == "roles"
    site_role = _put_roles(client, org, member.username, ["owner"])
    assert site_role.status_code == 400
    assert _put_roles(client, org, "me", []).status_code == 400  # not your own roles
    wrong_type = client.put(f"/api/v2/organizations/{org.id}/members/{member.id}/roles", {"roles": "x"},
                            format="json")
    assert wrong_type.status_code == 400 and wrong_type.json()["validations"][0]["field"] == "roles"
    scoped = _put_roles(client, org, member.username, [f"organization-auditor:{org.id}"])
    assert scoped.status_code == 200 and [r["name"] for r in scoped.json()["roles"]] == ["organization-auditor"]
    implicit = _put_roles(client, org, member.username, ["organization-member"])
    assert implicit.status_code == 200 and implicit.json()["roles"] == []


def test_user_admin_cannot_grant_org_admin(client_for, org, member):
    org_user_admin = UserFactory(username="org-user-admin")
    add_member(org_user_admin, org, roles=["organization-user-admin"])
    client = client_for(org_user_admin)
    assert _put_roles(client, org, member.username, ["organization-auditor"]).status_code == 200
    assert _put_roles(client, org, member.username, ["organization-admin"]).status_code == 403


# --- hostile bodies on every mutation of this API ------------------------------------------------

@pytest.mark.parametrize("raw", ["{not json", "[]", "null", "42", '{"name": null, "roles": null, "checks": null}',
                                 '{"name": {"$gt": ""}, "roles": [{}], "checks": [], "add_users": {}}'])
def test_hostile_bodies_are_400_everywhere(client_for, owner, org, member, raw):
    from tests.factories import GroupFactory

    group = GroupFactory(organization=org, name="devs")
    client = client_for(owner)
    calls = [("post", "/api/v2/organizations"), ("patch", f"/api/v2/organizations/{org.id}"),
             ("put", f"/api/v2/organizations/{org.id}/members/{member.id}/roles"),
             ("post", f"/api/v2/organizations/{org.id}/members/roles"),
             ("put", f"/api/v2/organizations/{org.id}/members/roles"),
             ("post", f"/api/v2/organizations/{org.id}/groups"), ("patch", f"/api/v2/groups/{group.id}"),
             ("post", "/api/v2/authcheck")]
    # `null` means "absent" (as Go decodes it): a PATCH whose fields are all optional accepts it.
    all_null = raw.startswith('{"name": null')
    for method, url in calls:
        response = getattr(client, method)(url, raw, content_type="application/json")
        expected = 200 if all_null and method == "patch" else 400
        assert response.status_code == expected, (method, url, response.status_code, response.content)
        assert expected == 200 or "message" in response.json()


def test_delete_org_with_templates_is_400(client_for, owner, other_org):
    from tests.templates_app.factories import TemplateFactory

    TemplateFactory(organization=other_org)
    response = client_for(owner).delete(f"/api/v2/organizations/{other_org.id}")
    assert response.status_code == 400 and "detail" in response.json()
    assert Organization.objects.filter(id=other_org.id).exists()
    assert Group.objects.filter(id=other_org.id).exists()
